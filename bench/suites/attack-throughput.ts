/**
 * Attack throughput on the bundled Fashion-MNIST CNN (models/fashion-cnn, or buildCnn()'s architecture with random
 * weights when the bundled model is absent): one FGSM step and PGD-10 (random start, no early stop), batch 128,
 * images/s, single process on the wasm backend, side by side with the same architecture in PyTorch
 * (bench/peers/torch_attack.py, Debian python3-torch, 1 and 2 threads), all measured in interleaved rounds
 * (bench/throughput.ts: medians and interquartile ranges, CPU time per image, the load average alongside). Four
 * gradopt configurations show what each piece contributes: tfjs-wasm's stock kernels and tfjs-layers' own gradient
 * path; gradopt's kernels without SIMD (Conv2DBackpropInput via XNNPACK, MaxPoolGrad in JS); the same plus the
 * gradient fast path for Conv2D / BatchNorm layers; and all of it with the SIMD128 kernels of src/tf/simd (the
 * default).
 * ATTACK_BENCH_SECONDS (default 1): each side's time slice per task and round; ATTACK_BENCH_ROUNDS (default 5);
 * ATTACK_BENCH_BUDGET (600 s): no new round after that. ATTACK_BENCH_PROFILE=1: first, a per-kernel profile of one
 * FGSM step per configuration (tf.profile; each kernel's fastest time over 15 runs, with its FLOP rate where it is a
 * convolution or matrix product).
 */
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { emptyStats } from "../../src/attack/base.js";
import {
  fgsm,
  misclassification,
  pgd,
  TfjsClassifier,
  type FixedEpsilonAttack,
} from "../../src/attack/index.js";
import { initBackend } from "../../src/tf/backend.js";
import { setStockInputGradKernels } from "../../src/tf/kernels/input-grads.js";
import { setSimdEnabled } from "../../src/tf/simd/index.js";
import { buildCnn } from "../../src/train/model.js";
import { formatFigure, interleave, loadRange, localSide, peerSide, type Side } from "../throughput.js";
import { benchDir, printTable, python, writeResult } from "../util.js";

const BATCH = 128;
const EPS = 0.1;
const PGD_STEPS = 10;
const BUDGET = Number(process.env.ATTACK_BENCH_BUDGET ?? 600);

/** The peer's architecture read from a Sequential model.json: filters per stage, convs per stage, batch norm, dense. */
function architectureOf(modelJson: string): {
  filters: number[];
  convsPerStage: number;
  batchNorm: boolean;
  dense: number;
} {
  const json = JSON.parse(readFileSync(modelJson, "utf8")) as {
    modelTopology: {
      config: { layers: Array<{ class_name: string; config: { filters?: number; units?: number } }> };
    };
  };
  const filters: number[] = [];
  let convs = 0;
  let convsPerStage = 1;
  let batchNorm = false;
  let dense = 128;
  let sawDense = false;
  for (const l of json.modelTopology.config.layers) {
    if (l.class_name === "Conv2D") {
      convs++;
      if (convs === 1) filters.push(l.config.filters!);
    } else if (l.class_name === "MaxPooling2D") {
      convsPerStage = Math.max(convsPerStage, convs);
      convs = 0;
    } else if (l.class_name === "BatchNormalization") batchNorm = true;
    else if (l.class_name === "Dense" && !sawDense) {
      dense = l.config.units!;
      sawDense = true;
    }
  }
  return { filters, convsPerStage, batchNorm, dense };
}

export default async function (): Promise<void> {
  const seconds = Number(process.env.ATTACK_BENCH_SECONDS ?? 1);
  const rounds = Number(process.env.ATTACK_BENCH_ROUNDS ?? 5);
  const backend = await initBackend("wasm");
  const bundled = join(benchDir, "..", "models", "fashion-cnn");
  const useBundled = existsSync(join(bundled, "model.json"));
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const criterion = misclassification(labels);
  const load = async (fastPath: boolean) =>
    useBundled
      ? TfjsClassifier.load(bundled, { gradientFastPath: fastPath, onWarning: () => {} })
      : TfjsClassifier.fromModel(buildCnn({ seed: 1 }), { gradientFastPath: fastPath });

  const configs = [
    { name: "stock tfjs-wasm input-gradient kernels", stock: true, fastPath: false, simd: false },
    { name: "gradopt kernels, no SIMD", stock: false, fastPath: false, simd: false },
    { name: "gradopt kernels + fast path, no SIMD", stock: false, fastPath: true, simd: false },
    { name: "gradopt kernels + fast path + SIMD128", stock: false, fastPath: true, simd: true },
  ];
  const models = await Promise.all(configs.map((c) => load(c.fastPath)));
  const attacks: Record<string, FixedEpsilonAttack> = {
    fgsm: fgsm(),
    pgd: pgd({ steps: PGD_STEPS, earlyStop: false }),
  };
  const sides: Side[] = configs.map((c, i) => {
    const run = (task: string) => () => {
      setStockInputGradKernels(c.stock);
      setSimdEnabled(c.simd);
      tf.dispose(
        attacks[task]!.run({ model: models[i]!, x, criterion, seed: 0, stats: emptyStats() }, [EPS]),
      );
    };
    return localSide(`gradopt (${backend}, 1 core): ${c.name}`, { fgsm: run("fgsm"), pgd: run("pgd") });
  });
  if (process.env.ATTACK_BENCH_PROFILE === "1") {
    for (const [i, c] of configs.entries()) {
      setStockInputGradKernels(c.stock);
      setSimdEnabled(c.simd);
      await profileStep(c.name, () =>
        tf.dispose(fgsm().run({ model: models[i]!, x, criterion, seed: 0, stats: emptyStats() }, [EPS])),
      );
    }
  }

  // The peer mirrors the measured model: the bundled one's architecture, else buildCnn()'s defaults.
  const arch = useBundled
    ? architectureOf(join(bundled, "model.json"))
    : { filters: [16, 32], convsPerStage: 1, batchNorm: false, dense: 128 };
  const torchInfo: Record<string, unknown> = {};
  for (const threads of [1, 2]) {
    const peer = await peerSide(
      `PyTorch (${threads} thread${threads > 1 ? "s" : ""})`,
      python,
      join(benchDir, "peers", "torch_attack.py"),
      { threads, batch: BATCH, pgdSteps: PGD_STEPS, eps: EPS, ...arch },
    );
    if (peer.side) {
      sides.push(peer.side);
      torchInfo[`${threads}`] = peer.info;
    } else console.log(`PyTorch peer (${threads} threads) unavailable: ${peer.why}`);
  }

  const result = await interleave(sides, ["fgsm", "pgd"], {
    rounds,
    seconds,
    warmup: 2,
    imagesPerCall: BATCH,
    budgetSeconds: BUDGET,
    onRound: (r) => console.log(`round ${r + 1} done, load average ${loadavg()[0]!.toFixed(1)}`),
  });
  for (const s of sides) await s.close?.();
  setStockInputGradKernels(false);
  setSimdEnabled(true);
  for (const m of models) m.dispose();
  x.dispose();

  const f = result.figures;
  const torch2 = f["PyTorch (2 threads)"];
  const torch1 = f["PyTorch (1 thread)"];
  const rows: Record<string, string | number>[] = sides.map((side) => ({
    config: side.name,
    "FGSM img/s": formatFigure(f[side.name]!.fgsm),
    "PGD-10 img/s": formatFigure(f[side.name]!.pgd),
    "FGSM vs torch 2": torch2 ? f[side.name]!.fgsm!.median / torch2.fgsm!.median : "n/a",
    "PGD vs torch 2": torch2 ? f[side.name]!.pgd!.median / torch2.pgd!.median : "n/a",
    "FGSM vs torch 1": torch1 ? f[side.name]!.fgsm!.median / torch1.fgsm!.median : "n/a",
    "PGD vs torch 1": torch1 ? f[side.name]!.pgd!.median / torch1.pgd!.median : "n/a",
    "FGSM CPU ms/1000 img": 1000 * f[side.name]!.fgsm!.cpuMsPerImage,
    "PGD CPU ms/1000 img": 1000 * f[side.name]!.pgd!.cpuMsPerImage,
  }));
  // Per core: torch's CPU time per image over gradopt's (all of each process's threads; > 1: gradopt does the work
  // in less CPU time).
  if (torch1 && torch2) {
    const b = f[sides[configs.length - 1]!.name]!;
    console.log(
      `per-core efficiency (CPU time per image, torch / gradopt SIMD): FGSM vs torch 1 thread ${(torch1.fgsm!.cpuMsPerImage / b.fgsm!.cpuMsPerImage).toFixed(2)}, ` +
        `vs torch 2 threads ${(torch2.fgsm!.cpuMsPerImage / b.fgsm!.cpuMsPerImage).toFixed(2)}; PGD-10 vs torch 1 thread ${(torch1.pgd!.cpuMsPerImage / b.pgd!.cpuMsPerImage).toFixed(2)}, ` +
        `vs torch 2 threads ${(torch2.pgd!.cpuMsPerImage / b.pgd!.cpuMsPerImage).toFixed(2)}`,
    );
  }
  console.log(
    `model: ${useBundled ? "models/fashion-cnn" : "buildCnn() architecture, random weights (models/fashion-cnn not found)"} (${JSON.stringify(arch)}), batch ${BATCH}, eps ${EPS}`,
  );
  console.log(
    `images/s, median (interquartile range) over ${result.rounds} interleaved rounds of ${seconds} s per side and task; load average ${loadRange(result.load)}`,
  );
  printTable(rows);
  const stock = f[sides[0]!.name]!;
  const best = f[sides[configs.length - 1]!.name]!;
  console.log(
    `gradopt's kernels and fast path vs stock: FGSM x${(best.fgsm!.median / stock.fgsm!.median).toFixed(2)}, PGD-10 x${(best.pgd!.median / stock.pgd!.median).toFixed(2)}`,
  );
  writeResult("attack-throughput", {
    backend,
    architecture: arch,
    model: useBundled ? "models/fashion-cnn" : "buildCnn(random)",
    batch: BATCH,
    eps: EPS,
    pgdSteps: PGD_STEPS,
    rounds: result.rounds,
    secondsPerSlice: seconds,
    loadAverage: result.load,
    torch: torchInfo,
    figures: f,
  });
}

/** FLOPs of the kernels whose cost is arithmetic (convolutions and matrix products), from their input shapes. */
function kernelFlops(name: string, shapes: number[][]): number | undefined {
  const [a, b] = shapes;
  if (!a || !b) return undefined;
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  // Conv2D: x [n, h, w, ci], filter [kh, kw, ci, co], 'same' output; backprop input: dy [n, h, w, co], same filter.
  if (name === "Conv2D" || name === "Conv2DBackpropInput") return 2 * (size(a) / a[3]!) * size(b);
  if (name === "BatchMatMul") {
    // a [m, k] (no transposeA in these graphs), b [k, n] or [n, k].
    const k = a[a.length - 1]!;
    const n = b[b.length - 2] === k ? b[b.length - 1]! : b[b.length - 2]!;
    return 2 * (size(a) / k) * k * n;
  }
  return undefined;
}

/** Per-kernel times of one call of `run` (tf.profile), each kernel's fastest over 15 calls, printed as a table. */
async function profileStep(label: string, run: () => void): Promise<void> {
  for (let i = 0; i < 5; i++) run();
  const best = new Map<string, { ms: number; calls: number; name: string; shapes: number[][] }>();
  let totalBest = Infinity;
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    const p = await tf.profile(run);
    totalBest = Math.min(totalBest, performance.now() - t0);
    const per = new Map<string, { ms: number; calls: number; name: string; shapes: number[][] }>();
    for (const k of p.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      const e = per.get(key) ?? { ms: 0, calls: 0, name: k.name, shapes: k.inputShapes as number[][] };
      e.ms += (await k.kernelTimeMs) as number;
      e.calls++;
      per.set(key, e);
    }
    for (const [key, e] of per) {
      const prev = best.get(key);
      if (!prev || e.ms < prev.ms) best.set(key, e);
    }
  }
  const rows = [...best.entries()].sort((a, b) => b[1].ms - a[1].ms).filter(([, e]) => e.ms >= 0.05);
  const sum = [...best.values()].reduce((s, e) => s + e.ms, 0);
  console.log(
    `per-kernel profile, one FGSM step, batch ${BATCH}: ${label} (fastest of 15; kernel sum ${sum.toFixed(1)} ms, ` +
      `fastest whole call under the profiler ${totalBest.toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)})`,
  );
  printTable(
    rows.map(([key, e]) => {
      const flops = kernelFlops(e.name, e.shapes);
      return {
        kernel: key,
        calls: e.calls,
        ms: e.ms,
        "GFLOP/s": flops ? flops / e.ms / 1e6 : "",
      };
    }),
  );
}
