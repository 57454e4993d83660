/** `gradopt attack` end to end through the CLI's main(), on the tiny fixture CNN and the bundled test subset. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TINY_CNN_DIR } from "./testing.js";
import { runCli } from "../../test/cli/run-cli.js";
import type { AttackSummary } from "./run.js";

const dir = mkdtempSync(join(tmpdir(), "gradopt-attack-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gradopt attack", () => {
  it("prints the contract's JSON document", async () => {
    const r = await runCli(
      ...["attack", "--model", TINY_CNN_DIR, "--limit", "40", "--eps", "0,0.05,0.2", "--json"],
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as AttackSummary;
    expect(doc.n).toBe(40);
    expect(doc.results.map((e) => e.eps)).toEqual([0, 0.05, 0.2]);
    expect(doc.results[0]!.accuracy).toBe(doc.clean.accuracy);
    expect(doc.results[2]!.accuracy).toBeLessThan(doc.clean.accuracy);
    expect(doc.results[2]!.maxLinf).toBeLessThanOrEqual(0.2);
  });

  it("runs a targeted PGD and writes PNGs re-checked after 8-bit quantisation", async () => {
    const out = join(dir, "png");
    const r = await runCli(
      ...[
        "attack",
        "--model",
        TINY_CNN_DIR,
        "--limit",
        "8",
        "--attack",
        "pgd",
        "--steps",
        "5",
        "--targeted",
        "8",
        "--eps",
        "0.2",
        "--out",
        out,
        "--json",
      ],
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      criterion: string;
      quantized: Array<{ eps: number; accuracy: number }>;
      target: { name: string };
    };
    expect(doc.criterion).toBe("targeted");
    expect(doc.target.name).toBe("Bag");
    expect(doc.quantized).toHaveLength(1);
    expect(readdirSync(join(out, "eps-0.2"))).toHaveLength(8);
    expect(readdirSync(join(out, "clean"))).toHaveLength(8);
  });

  it("runs the reverse step (human output)", async () => {
    const r = await runCli(
      ...["attack", "--model", TINY_CNN_DIR, "--limit", "20", "--reverse", "--eps", "0.05"],
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reverse-fgsm .*classified as the true label/);
  });

  it("names the bad flag", async () => {
    expect((await runCli(...["attack", "--model", TINY_CNN_DIR, "--attack", "nope"])).stderr).toMatch(
      /--attack: expected one of/,
    );
    expect((await runCli(...["attack", "--model", TINY_CNN_DIR, "--eps", "0.1,x"])).stderr).toMatch(
      /--eps: 'x' is not a finite number/,
    );
    expect((await runCli(...["attack", "--model", TINY_CNN_DIR, "--targeted", "12"])).stderr).toMatch(
      /--targeted: expected a class index in \[0, 9\]/,
    );
    const missing = await runCli(...["attack", "--model", join(dir, "none")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no model here/);
  });
});
