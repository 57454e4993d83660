/**
 * Atomic file writes: write a temporary file beside the target, then rename it over the target, so a reader (a browser
 * reloading the report, a script polling summary.json) never sees a half-written file.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { GradoptError } from "../errors.js";

/** Writes `data` to `file` atomically, creating the parent folders. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new GradoptError(
      "E_IO",
      `cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`,
      {
        file,
      },
    );
  }
}

/**
 * JSON as gradopt prints it: typed arrays become plain arrays and non-finite numbers become null (JSON has no NaN),
 * so a failed value is visible as null rather than silently dropped.
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView))
        return Array.from(v as unknown as ArrayLike<number>);
      if (typeof v === "number" && !Number.isFinite(v)) return null;
      return v;
    },
    indent,
  );
}

/** Writes `value` as JSON (see toJson) atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, toJson(value) + "\n");
}
