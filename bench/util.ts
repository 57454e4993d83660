/** Helpers shared by the bench suites: timing, peers run as child processes, result files. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const benchDir = dirname(fileURLToPath(import.meta.url));

/** Debian's python3 (where python3-scipy and python3-torch live), not a pyenv or venv one earlier on PATH. */
export const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Best-of-`repeats` wall time in milliseconds of `fn` (after one warm-up call). */
export async function bestTime<T>(fn: () => T | Promise<T>, repeats = 3): Promise<{ ms: number; result: T }> {
  let result = await fn();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    result = await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

/** Runs a peer program; returns its stdout parsed as JSON, or null with the reason when the peer is missing or fails. */
export function runPeer(
  cmd: string,
  args: string[],
  input?: string,
): { ok: true; json: unknown } | { ok: false; why: string } {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env } });
  if (r.error) return { ok: false, why: `${cmd}: ${r.error.message}` };
  if (r.status !== 0)
    return {
      ok: false,
      why: `${cmd} exited ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    };
  try {
    const lines = r.stdout.trim().split("\n");
    return { ok: true, json: JSON.parse(lines[lines.length - 1]!) };
  } catch {
    return { ok: false, why: `${cmd}: output was not JSON: ${r.stdout.slice(0, 200)}` };
  }
}

export function writeResult(name: string, data: unknown): void {
  const dir = join(benchDir, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(data, null, 2));
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number | undefined) => (typeof v === "number" ? fmt(v) : (v ?? ""));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => cell(r[c]).padEnd(widths[i]!)).join("  "));
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(4);
}
