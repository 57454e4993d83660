/** Runs the gradopt CLI in-process (fast: no node/tsx start per call), capturing stdout, stderr and the exit code. */
import { main } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export async function runCli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const saved = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => (
    out.push(String(chunk)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    err.push(String(chunk)),
    true
  )) as typeof process.stderr.write;
  let code: number;
  try {
    await main(["node", "gradopt", ...args]);
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    code = Number(process.exitCode ?? 0);
    process.exitCode = saved;
  }
  const stdout = out.join("");
  return {
    code,
    stdout,
    stderr: err.join(""),
    json<T>() {
      const lines = stdout.trim().split("\n");
      if (lines.length !== 1)
        throw new Error(`expected exactly one JSON line on stdout, got ${lines.length}`);
      return JSON.parse(lines[0]!) as T;
    },
  };
}
