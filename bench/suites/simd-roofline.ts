/**
 * Roofline of the training step (issue #7): how many FLOPs a step of the bundled CNN needs, what one core can do
 * under wasm SIMD128 (a peak loop of independent multiply-add chains, bench/simd/peak.c) and natively (PyTorch's own
 * GEMM, bench/peers/torch_peak.py), and what each convolution/matrix kernel of the step reaches, gradopt's SIMD
 * kernels against the XNNPACK formulations they replaced, as GFLOP/s per CPU-second (load-robust; the load average
 * is printed). With bench/results/train-throughput.json present (run that suite first) it also converts both
 * frameworks' measured CPU time per image into GFLOP/s. Relaxed SIMD's fused multiply-add is measured too (Node 20
 * needs --experimental-wasm-relaxed-simd, set here for this process only): it is not used by the kernels.
 */
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf/backend.js";
import { setSimdEnabled } from "../../src/tf/simd/loader.js";
import { peakFmaWasm, peakWasm } from "../simd/peak.wasm.js";
import { benchDir, printTable, python, runPeer, writeResult } from "../util.js";

const BATCH = Number(process.env.BENCH_BATCH ?? 128);

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

/** GFLOP/s per CPU-second of a peak loop (96 flops per iteration), median of 7 runs. */
function peak(base64: string, name: string): number | null {
  try {
    const bytes = Uint8Array.from(Buffer.from(base64, "base64"));
    if (!WebAssembly.validate(bytes)) return null;
    const fn = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports[name] as (
      n: number,
      s: number,
    ) => number;
    fn(1e6, 0.999);
    const rates: number[] = [];
    for (let r = 0; r < 7; r++) {
      const iters = 2e7;
      const c0 = cpuMs();
      fn(iters, 0.999);
      rates.push((96 * iters) / ((cpuMs() - c0) * 1e6));
    }
    return median(rates);
  } catch {
    return null;
  }
}

/** FLOPs (multiply + add = 2) per image of one training step of conv16-pool-conv32-pool-dense128-10 on 28x28x1. */
function stepFlopsPerImage(): { rows: Array<{ op: string; mflop: number }>; total: number } {
  const conv1 = 28 * 28 * 16 * 9 * 1 * 2;
  const conv2 = 14 * 14 * 32 * 9 * 16 * 2;
  const dense1 = 7 * 7 * 32 * 128 * 2;
  const dense2 = 128 * 10 * 2;
  const rows = [
    { op: "conv1 forward + filter gradient (no input gradient)", mflop: (2 * conv1) / 1e6 },
    { op: "conv2 forward + filter gradient + input gradient", mflop: (3 * conv2) / 1e6 },
    { op: "dense 1568->128: forward, dW, dx", mflop: (3 * dense1) / 1e6 },
    { op: "dense 128->10: forward, dW, dx", mflop: (3 * dense2) / 1e6 },
  ];
  return { rows, total: rows.reduce((s, r) => s + r.mflop, 0) };
}

interface KernelCase {
  label: string;
  flops: number;
  run: () => tf.Tensor;
}

function kernelCases(b: number): { cases: KernelCase[]; dispose: () => void } {
  const x1 = tf.randomUniform([b, 28, 28, 1]) as tf.Tensor4D;
  const dy1 = tf.randomUniform([b, 28, 28, 16], -1, 1) as tf.Tensor4D;
  const x2 = tf.randomUniform([b, 14, 14, 16]) as tf.Tensor4D;
  const w2 = tf.randomUniform([3, 3, 16, 32], -1, 1) as tf.Tensor4D;
  const b2 = tf.randomUniform([32]);
  const dy2 = tf.randomUniform([b, 14, 14, 32], -1, 1) as tf.Tensor4D;
  const xd = tf.randomUniform([b, 1568]) as tf.Tensor2D;
  const wd = tf.randomUniform([1568, 128], -1, 1) as tf.Tensor2D;
  const dyd = tf.randomUniform([b, 128], -1, 1) as tf.Tensor2D;
  const filterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, shape: number[]) => () =>
    tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: 1,
      pad: "same",
      dataFormat: "NHWC",
      filterShape: shape,
    } as never) as tf.Tensor;
  const conv2 = b * 14 * 14 * 32 * 9 * 16 * 2;
  const conv1 = b * 28 * 28 * 16 * 9 * 2;
  const dense = b * 1568 * 128 * 2;
  return {
    cases: [
      { label: "conv2 filter gradient", flops: conv2, run: filterGrad(x2, dy2, [3, 3, 16, 32]) },
      {
        label: "conv2 forward (FusedConv2D + bias)",
        flops: conv2,
        run: () => tf.fused.conv2d({ x: x2, filter: w2, strides: 1, pad: "same", bias: b2 }),
      },
      { label: "conv1 filter gradient", flops: conv1, run: filterGrad(x1, dy1, [3, 3, 1, 16]) },
      { label: "dense forward x W", flops: dense, run: () => tf.matMul(xd, wd) },
      { label: "dense dW = x^T dy", flops: dense, run: () => tf.matMul(xd, dyd, true, false) },
      { label: "dense dx = dy W^T", flops: dense, run: () => tf.matMul(dyd, wd, false, true) },
    ],
    dispose: () => tf.dispose([x1, dy1, x2, w2, b2, dy2, xd, wd, dyd]),
  };
}

/** Median CPU ms per call, SIMD kernels on and off alternating in blocks (the same load for both). */
function timeKernel(run: () => tf.Tensor): { on: number; off: number } {
  const t: { on: number[]; off: number[] } = { on: [], off: [] };
  for (let block = 0; block < 6; block++) {
    for (const on of [true, false]) {
      setSimdEnabled(on);
      run().dispose();
      const c0 = cpuMs();
      for (let i = 0; i < 5; i++) run().dispose();
      t[on ? "on" : "off"].push((cpuMs() - c0) / 5);
    }
  }
  setSimdEnabled(true);
  return { on: median(t.on), off: median(t.off) };
}

export default async function simdRoofline(): Promise<void> {
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  await initBackend("wasm");
  const load0 = loadavg()[0]!;
  const mulAdd = peak(peakWasm, "peak_mul_add");
  const fma = peak(peakFmaWasm, "peak_fma");
  const torchPeak = runPeer(python, [
    join(benchDir, "peers", "torch_peak.py"),
    JSON.stringify({ threads: 1 }),
  ]);
  const native = torchPeak.ok ? (torchPeak.json as { gflopsMedian: number }).gflopsMedian : null;
  console.log("Peak float32 GFLOP/s per CPU-second, one core:");
  printTable([
    { what: "wasm SIMD128 f32x4.mul + f32x4.add (12 chains)", "GFLOP/s": mulAdd ?? "n/a" },
    { what: "wasm relaxed SIMD f32x4.relaxed_madd (flag)", "GFLOP/s": fma ?? "n/a (not validated)" },
    {
      what: "native: PyTorch torch.mm 1024^3, 1 thread",
      "GFLOP/s": native ?? `n/a (${torchPeak.ok ? "" : torchPeak.why})`,
    },
  ]);

  const flops = stepFlopsPerImage();
  console.log(`FLOPs of one training step per image: ${flops.total.toFixed(3)} MFLOP`);
  printTable(flops.rows);

  const { cases, dispose } = kernelCases(BATCH);
  const kernelRows = cases.map((c) => {
    const t = timeKernel(c.run);
    return {
      kernel: c.label,
      MFLOP: c.flops / 1e6,
      "XNNPACK path ms": t.off,
      "SIMD kernel ms": t.on,
      "XNNPACK GFLOP/s": c.flops / t.off / 1e6,
      "SIMD GFLOP/s": c.flops / t.on / 1e6,
    };
  });
  dispose();
  console.log(`Kernels of the step at batch ${BATCH}, CPU ms per call (median, SIMD on/off interleaved):`);
  printTable(kernelRows);

  const resultsFile = join(benchDir, "results", "train-throughput.json");
  const achieved: Array<Record<string, string | number>> = [];
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, "utf8")) as {
      batch: number;
      loadAverage: number[];
      figures: Record<string, Record<string, { cpuMsPerImage: number }>>;
    };
    for (const [side, tasks] of Object.entries(r.figures)) {
      const cpu = tasks.train?.cpuMsPerImage;
      if (cpu) achieved.push({ side, "CPU ms/image": cpu, "GFLOP/s per CPU-second": flops.total / cpu });
    }
    console.log(
      `Training step as measured by train-throughput (batch ${r.batch}, load ${Math.min(...r.loadAverage).toFixed(1)}-${Math.max(...r.loadAverage).toFixed(1)}): ${flops.total.toFixed(2)} MFLOP/image over the CPU time per image`,
    );
    printTable(achieved);
  }
  const load1 = loadavg()[0]!;
  console.log(`load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
  writeResult("simd-roofline", {
    batch: BATCH,
    loadAverage: [load0, load1],
    peakGflops: { wasmMulAdd: mulAdd, wasmRelaxedFma: fma, nativeTorchMm: native },
    stepMflopPerImage: flops.total,
    kernels: kernelRows,
    achieved,
  });
}
