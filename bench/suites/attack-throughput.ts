/**
 * Attack throughput on the bundled Fashion-MNIST CNN (models/fashion-cnn, or buildCnn()'s architecture with random
 * weights when the bundled model is absent): one FGSM step and PGD-10 (random start, no early stop), batch 128,
 * images/s, single process on the wasm backend, side by side with the same architecture in PyTorch
 * (bench/peers/torch_attack.py, Debian python3-torch, 1 and 2 threads), all measured in interleaved rounds
 * (bench/throughput.ts: medians and interquartile ranges, the load average alongside). Three gradopt configurations show
 * what each piece contributes: tfjs-wasm's stock kernels and tfjs-layers' own gradient path; gradopt's kernels
 * (Conv2DBackpropInput via XNNPACK, MaxPoolGrad in JS); and the kernels plus the gradient fast path for Conv2D /
 * BatchNorm layers (the default).
 * ATTACK_BENCH_SECONDS (default 1): each side's time slice per task and round; ATTACK_BENCH_ROUNDS (default 5);
 * ATTACK_BENCH_BUDGET (600 s): no new round after that.
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
    { name: "stock tfjs-wasm input-gradient kernels", stock: true, fastPath: false },
    { name: "gradopt kernels", stock: false, fastPath: false },
    { name: "gradopt kernels + fast path", stock: false, fastPath: true },
  ];
  const models = await Promise.all(configs.map((c) => load(c.fastPath)));
  const attacks: Record<string, FixedEpsilonAttack> = {
    fgsm: fgsm(),
    pgd: pgd({ steps: PGD_STEPS, earlyStop: false }),
  };
  const sides: Side[] = configs.map((c, i) => {
    const run = (task: string) => () => {
      setStockInputGradKernels(c.stock);
      tf.dispose(
        attacks[task]!.run({ model: models[i]!, x, criterion, seed: 0, stats: emptyStats() }, [EPS]),
      );
    };
    return localSide(`gradopt (${backend}, 1 core): ${c.name}`, { fgsm: run("fgsm"), pgd: run("pgd") });
  });

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
  console.log(
    `model: ${useBundled ? "models/fashion-cnn" : "buildCnn() architecture, random weights (models/fashion-cnn not found)"} (${JSON.stringify(arch)}), batch ${BATCH}, eps ${EPS}`,
  );
  console.log(
    `images/s, median (interquartile range) over ${result.rounds} interleaved rounds of ${seconds} s per side and task; load average ${loadRange(result.load)}`,
  );
  printTable(rows);
  const stock = f[sides[0]!.name]!;
  const best = f[sides[2]!.name]!;
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
