/** `gradopt train` end to end on the bundled subset (offline): architecture flags, adversarial flags, flag errors. */
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledDataDir } from "../../data/index.js";
import { runCli } from "../../../test/cli/run-cli.js";

/** A directory whose "train" split is the bundled 1000-image subset. */
function trainDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "gradopt-train-cli-"));
  for (const kind of ["images-idx3", "labels-idx1"])
    symlinkSync(join(bundledDataDir(), `t10k-${kind}-ubyte.gz`), join(dir, `train-${kind}-ubyte.gz`));
  return dir;
}

interface Layer {
  class_name: string;
  config: { filters?: number; units?: number };
}

describe("gradopt train", () => {
  it("--filters / --dense size a fresh model; --adversarial pgd --steps is recorded; the checkpoint loads", async () => {
    const data = trainDir();
    const out = join(data, "model");
    const args = ["--data", data, "--limit", "64", "--max-steps", "2", "--batch-size", "32"];
    const r = await runCli(
      "train",
      ...args,
      ...["--filters", "4,8", "--dense", "16", "--adversarial", "pgd", "--steps", "2", "--eps", "0.05"],
      ...["--no-progress", "--out", out, "--json"],
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.json<{ steps: number }>().steps).toBe(2);
    const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    const layers = json.modelTopology.config.layers as Layer[];
    expect(layers.filter((l) => l.class_name === "Conv2D").map((l) => l.config.filters)).toEqual([4, 8]);
    expect(layers.filter((l) => l.class_name === "Dense").map((l) => l.config.units)).toEqual([16, 10]);
    const meta = json.userDefinedMetadata.gradopt;
    expect(meta.trainedWith.architecture).toEqual({ filters: [4, 8], dense: 16 });
    expect(meta.trainedWith.adversarial).toEqual({ method: "pgd", eps: 0.05, steps: 2 });
    // Continuing from it keeps its architecture; resizing it is an error naming the flag.
    const more = await runCli(
      "train",
      ...args,
      "--init",
      out,
      "--no-progress",
      "--out",
      join(data, "m1"),
      "--json",
    );
    expect(more.code).toBe(0);
    const again = JSON.parse(readFileSync(join(data, "m1", "model.json"), "utf8"));
    expect(again.userDefinedMetadata.gradopt.previous.from).toBe(out);
    expect(again.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual(
      json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape),
    );
    const bad = await runCli("train", ...args, "--init", out, "--dense", "32", "--out", join(data, "m2"));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--dense: sets the size of a fresh model/);
  });

  it("rejects bad --filters, --steps and --eps with the flag's name", async () => {
    const data = trainDir();
    const run = (...flags: string[]) => runCli("train", "--data", data, "--max-steps", "1", ...flags);
    expect((await run("--filters", "8,0")).stderr).toMatch(/--filters: expected comma-separated positive/);
    expect((await run("--filters", "8,x")).stderr).toMatch(/--filters/);
    expect((await run("--adversarial", "pgd", "--steps", "0")).stderr).toMatch(/--steps/);
    expect((await run("--eps", "0.1")).stderr).toMatch(/--eps: only meaningful with --adversarial/);
    expect((await run("--adversarial", "fgsm-rs", "--eps", "2")).stderr).toMatch(
      /--eps: must be in \(0, 1\]/,
    );
  });
});
