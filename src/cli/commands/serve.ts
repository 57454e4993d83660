/**
 * `gradopt serve [--port N] [--host H] [--dir DIR]`: serves the built web playground (web-dist/) with node:http.
 * The app is static (relative base './'), so any static host works too; this server adds the right MIME types
 * (application/wasm matters: browsers only stream-compile wasm served with it), refuses paths outside the root and
 * binds to 127.0.0.1 unless told otherwise. If web-dist/ is missing it builds it with Vite when Vite is installed.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { GradoptError } from "../../errors.js";
import { emit, parseNumber, withGlobalFlags, type GlobalOptions } from "../common.js";

/** The package root: this file is src/cli/commands/serve.ts or dist/cli/commands/serve.js. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const defaultWebRoot = join(packageRoot, "web-dist");
export const webViteConfig = join(packageRoot, "src", "web", "vite.config.ts");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".yaml": "text/yaml; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export interface StaticServerOptions {
  root: string;
  port?: number; // 0 (default here) picks a free port
  host?: string; // default 127.0.0.1
}

export interface RunningServer {
  server: Server;
  url: string; // http://host:port/
  close(): Promise<void>;
}

/** Maps a request path onto a file under root; undefined when it escapes root or does not exist. */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0]!.split("#")[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const absRoot = resolve(root);
  let file = resolve(absRoot, "." + (decoded.startsWith("/") ? decoded : "/" + decoded));
  if (file !== absRoot && !file.startsWith(absRoot + sep)) return undefined;
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file) || !statSync(file).isFile()) return undefined;
  return file;
}

function handle(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res
      .writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" })
      .end("method not allowed\n");
    return;
  }
  const file = resolveStaticPath(root, req.url ?? "/");
  if (!file) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
    return;
  }
  const size = statSync(file).size;
  const hashed = /[-.][A-Za-z0-9_-]{8,}\.(js|css|wasm)$/.test(file) && file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": String(size),
    "Cache-Control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

/** Starts the static server and resolves once it listens. */
export function startStaticServer(opts: StaticServerOptions): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const root = resolve(opts.root);
  if (!existsSync(join(root, "index.html"))) {
    throw new GradoptError(
      "E_IO",
      `no built web app in ${root} (index.html missing); build it with 'npm run build:web'`,
    );
  }
  const server = createServer((req, res) => handle(root, req, res));
  return new Promise((ok, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? `port ${opts.port} is already in use` : err.message;
      fail(
        new GradoptError("E_IO", `cannot listen on ${host}:${opts.port ?? 0}: ${why}`, undefined, {
          cause: err,
        }),
      );
    });
    server.listen(opts.port ?? 0, host, () => {
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      ok({
        server,
        url: `http://${shownHost}:${addr.port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/**
 * Builds web-dist/ with Vite (a dev dependency: present in a checkout, absent from an installed package).
 * Returns false, without throwing, when Vite is not installed.
 */
export function buildWebApp(outDir = defaultWebRoot): boolean {
  const viteBin = join(packageRoot, "node_modules", "vite", "bin", "vite.js");
  if (!existsSync(viteBin) || !existsSync(webViteConfig)) return false;
  const r = spawnSync(
    process.execPath,
    [viteBin, "build", "--config", webViteConfig, "--outDir", outDir, "--emptyOutDir"],
    {
      cwd: packageRoot,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  if (r.status !== 0)
    throw new GradoptError(
      "E_INTERNAL",
      `building the web app failed (vite exited with ${r.status ?? r.signal})`,
    );
  return true;
}

interface ServeOptions extends GlobalOptions {
  port: string;
  host: string;
  dir?: string;
  build?: boolean;
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("serve")
      .description("serve the web playground (DDE editor, fits, attacks in the browser) from web-dist/")
      .option("--port <n>", "port to listen on (0 picks a free one)", "8080")
      .option("--host <host>", "interface to bind (0.0.0.0 exposes it to your network)", "127.0.0.1")
      .option("--dir <dir>", "serve this built app folder instead of web-dist/")
      .option("--build", "rebuild web-dist/ first (needs Vite, a dev dependency)"),
  ).action(async (opts: ServeOptions) => {
    const port = parseNumber("--port", opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new GradoptError("E_FLAG", `--port: '${opts.port}' is not a port number (0-65535)`);
    }
    const root = opts.dir ? resolve(opts.dir) : defaultWebRoot;
    if (opts.build || (!opts.dir && !existsSync(join(root, "index.html")))) {
      if (!opts.json) process.stderr.write(`gradopt serve: building the web app into ${root} ...\n`);
      if (!buildWebApp(root)) {
        throw new GradoptError(
          "E_IO",
          `no built web app in ${root} and Vite is not installed to build it: run 'npm run build:web' in a gradopt checkout`,
        );
      }
    }
    const running = await startStaticServer({ root, port, host: opts.host });
    emit(
      opts,
      { url: running.url, root },
      () => `gradopt playground: ${running.url}  (serving ${root}; Ctrl-C stops)`,
    );
    await new Promise<void>((done) => {
      const stop = () => void running.close().then(done);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  });
}
