/**
 * Vite build of the web playground: `npx vite build --config src/web/vite.config.ts` writes web-dist/ at the repo root.
 * Relative base './' so the folder works on any static host. Besides the bundle it emits what the app fetches at run
 * time: the tfjs wasm binaries (wasm/), the bundled classifier (models/fashion-cnn/) and a sample of the bundled
 * Fashion-MNIST subset (data/samples.bin + data/samples.json). Node built-ins (and pngjs) that library modules import
 * for their file helpers (and sharp, the optional native photo decoder) are aliased to shims that throw a clear error if a browser code path ever calls them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const webDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(webDir, "..", "..");
const shim = (name: string) => join(webDir, "shims", `${name}.ts`);

/** How many images of the bundled subset ship with the app (robust-accuracy curves run on up to this many). */
export const SAMPLE_COUNT = 500;

interface StaticAsset {
  fileName: string; // path inside the build, e.g. "wasm/tfjs-backend-wasm.wasm"
  source: () => Uint8Array | string;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p).map((f) => join(name, f)));
    else out.push(name);
  }
  return out;
}

/**
 * The sample images: the library's bundled Fashion-MNIST subset (src/data), else the full set from Debian's
 * dataset-fashion-mnist; packed as uint8 pixels followed by uint8 labels, with a small JSON header.
 */
async function loadSamples(): Promise<{ bin: Uint8Array; meta: string } | undefined> {
  const data = await import("../data/index.js");
  for (const dir of [data.bundledDataDir(), data.DEBIAN_FASHION_MNIST_DIR]) {
    if (!existsSync(dir)) continue;
    const ds = data.loadDataset(dir, { split: "test", limit: SAMPLE_COUNT });
    const [n, height, width, channels] = ds.shape;
    const size = height * width * channels;
    const bin = new Uint8Array(n * size + n);
    for (let i = 0; i < n * size; i++) bin[i] = Math.round(ds.images[i]! * 255);
    for (let i = 0; i < n; i++) bin[n * size + i] = ds.labels[i]!;
    const source = dir.startsWith(repoRoot) ? dir.slice(repoRoot.length + 1) : dir;
    return { bin, meta: JSON.stringify({ n, height, width, channels, classes: ds.classNames, source }) };
  }
  return undefined;
}

/** The run-time assets: wasm binaries, the bundled model, the sample images. Missing sources are skipped (the app says so). */
async function collectAssets(): Promise<StaticAsset[]> {
  const assets: StaticAsset[] = [];
  const wasmDir = join(repoRoot, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
  for (const f of listFiles(wasmDir).filter((f) => f.endsWith(".wasm") && !f.includes("/"))) {
    assets.push({ fileName: `wasm/${f}`, source: () => readFileSync(join(wasmDir, f)) });
  }
  // GRADOPT_WEB_MODELS_DIR bundles another models/ folder (one sub-folder per model, fashion-cnn/ is the one shown).
  const modelsDir = process.env.GRADOPT_WEB_MODELS_DIR ?? join(repoRoot, "models");
  const modelNames = listFiles(modelsDir)
    .filter((f) => /^[^/\\]+[/\\]model\.json$/.test(f))
    .map((f) => f.split(/[/\\]/)[0]!)
    .sort((a, b) => Number(b === "fashion-cnn") - Number(a === "fashion-cnn") || a.localeCompare(b));
  if (modelNames.length > 0)
    assets.push({ fileName: "models/index.json", source: () => JSON.stringify(modelNames) });
  for (const f of listFiles(modelsDir).filter((f) => /\.(json|bin)$/.test(f))) {
    assets.push({
      fileName: `models/${f.split("\\").join("/")}`,
      source: () => readFileSync(join(modelsDir, f)),
    });
  }
  const samples = await loadSamples().catch((err: unknown) => {
    console.warn(
      `playground: no sample images bundled (${err instanceof Error ? err.message : String(err)})`,
    );
    return undefined;
  });
  if (samples) {
    assets.push({ fileName: "data/samples.bin", source: () => samples.bin });
    assets.push({ fileName: "data/samples.json", source: () => samples.meta });
  }
  return assets;
}

function playgroundAssets(): Plugin {
  let assets: StaticAsset[] = [];
  return {
    name: "gradopt-playground-assets",
    async buildStart() {
      assets = await collectAssets();
    },
    async configureServer(server) {
      assets = await collectAssets();
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? "").split("?")[0]!.replace(/^\/+/, "");
        const asset = assets.find((a) => a.fileName === path);
        if (!asset) return next();
        const type = path.endsWith(".wasm")
          ? "application/wasm"
          : path.endsWith(".json")
            ? "application/json"
            : "application/octet-stream";
        res.setHeader("Content-Type", type);
        res.end(asset.source());
      });
    },
    generateBundle() {
      for (const a of assets) this.emitFile({ type: "asset", fileName: a.fileName, source: a.source() });
    },
  };
}

export default defineConfig({
  root: webDir,
  base: "./",
  publicDir: false,
  logLevel: "warn",
  plugins: [playgroundAssets()],
  resolve: {
    alias: [
      { find: /^(node:)?fs\/promises$/, replacement: shim("fs-promises") },
      { find: /^(node:)?fs$/, replacement: shim("fs") },
      { find: /^(node:)?path$/, replacement: shim("path") },
      { find: /^(node:)?url$/, replacement: shim("url") },
      { find: /^(node:)?zlib$/, replacement: shim("zlib") },
      { find: /^(node:)?os$/, replacement: shim("os") },
      { find: /^(node:)?child_process$/, replacement: shim("child_process") },
      { find: /^(node:)?worker_threads$/, replacement: shim("worker_threads") },
      { find: /^pngjs$/, replacement: shim("pngjs") },
      { find: /^sharp$/, replacement: shim("sharp") },
    ],
  },
  define: {
    // Library modules read process.env for overrides (e.g. GRADOPT_BACKEND); in the browser there are none.
    "process.env": "{}",
  },
  worker: { format: "es" },
  build: {
    outDir: join(repoRoot, "web-dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
});
