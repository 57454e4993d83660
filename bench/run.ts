/**
 * `npm run bench [-- name ...]`: runs every suite in bench/suites (or the named ones), each side by side with its peer
 * in the same run. Suites print their own tables and write bench/results/<suite>.json.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const suites = readdirSync(join(here, "suites"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.replace(/\.ts$/, ""))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

for (const name of suites) {
  console.log(`\n=== bench: ${name} ===`);
  const mod = (await import(pathToFileURL(join(here, "suites", `${name}.ts`)).href)) as {
    default: () => Promise<void>;
  };
  const t0 = performance.now();
  try {
    await mod.default();
  } catch (err) {
    console.error(`bench ${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  }
  console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
