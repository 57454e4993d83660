/**
 * Adam on flat float32 arrays for the data-parallel step, where the summed gradients and the weights are plain
 * arrays: the same float32 operations as tf.train.adam in the same order (each JS step rounded with Math.fround,
 * which for + - * / and sqrt gives the correctly rounded float32 result, as the backends do), so the weights are
 * bit-identical to tf.train.adam's — without creating tensors, launching ~15 kernels per weight and reading the
 * weights back (measured 7 ms of main-thread time per step for the bundled CNN's 206k weights, while the workers wait).
 * With wasm SIMD128 the step runs in src/tf/simd/train.c's adam_f32 on a memory of its own (the same float32
 * operations, so the same bits: ~0.5 ms including the copies in and out, vs ~2 ms for the JS loop).
 */
import { trainKernelsOnMemory, type TrainKernels } from "../tf/simd/train-module.js";

const f = Math.fround;

type AdamKernel = TrainKernels["adam_f32"];

/** m and v of every weight array (and room for one array's weights and gradients) on a wasm memory of their own. */
interface SimdState {
  adam: AdamKernel;
  heap: Float32Array;
  /** Float offsets of each array's m and v, and of the weight and gradient scratch. */
  m: number[];
  v: number[];
  w: number;
  g: number;
}

function simdState(sizes: number[]): SimdState | null {
  const total = sizes.reduce((a, b) => a + b, 0);
  const largest = Math.max(0, ...sizes);
  // 4-float alignment for every region (16-byte vector loads are fine unaligned, but aligned is faster).
  const pad = (n: number) => Math.ceil(n / 4) * 4;
  const floats = 2 * sizes.reduce((a, n) => a + pad(n), 0) + 2 * pad(largest) + 4;
  const pages = Math.ceil((4 * floats) / 65536) + 1;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
  const exports = trainKernelsOnMemory(memory);
  if (!exports || total === 0) return null;
  let at = 4; // offset 0 stays unused (a null pointer)
  const m: number[] = [];
  const v: number[] = [];
  for (const n of sizes) {
    m.push(at);
    at += pad(n);
    v.push(at);
    at += pad(n);
  }
  const w = at;
  const g = at + pad(largest);
  return { adam: exports.adam_f32, heap: new Float32Array(memory.buffer), m, v, w, g };
}

let simdAdam = true;
/** Tests and benchmarks: run FlatAdam's SIMD kernel where available (default) or its JS loop. */
export function setSimdFlatAdam(on: boolean): void {
  simdAdam = on;
}

export interface FlatAdamOptions {
  beta1?: number;
  beta2?: number;
  /** Default 1e-7, tfjs's float32 backend epsilon (what tf.train.adam uses). */
  epsilon?: number;
}

export class FlatAdam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  /** beta^t as tfjs keeps it: a float32 scalar multiplied by beta after every step. */
  private accBeta1: number;
  private accBeta2: number;
  /** The SIMD kernel's state (undefined: not tried yet; null: JS loop). m and v live here, not in this.m / this.v. */
  private simd: SimdState | null | undefined;

  constructor(sizes: number[], options: FlatAdamOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.m = sizes.map((n) => new Float32Array(n));
    this.v = sizes.map((n) => new Float32Array(n));
    this.accBeta1 = f(this.beta1);
    this.accBeta2 = f(this.beta2);
  }

  /** One Adam step with learning rate `lr`: updates `weights` in place from `grads` (same layout). */
  step(weights: Float32Array[], grads: Float32Array[], lr: number): void {
    if (weights.length !== this.m.length || grads.length !== this.m.length)
      throw new Error(`FlatAdam: expected ${this.m.length} weight and gradient arrays`);
    const b1 = f(this.beta1);
    const b2 = f(this.beta2);
    const c1 = f(1 - this.beta1);
    const c2 = f(1 - this.beta2);
    const eps = f(this.epsilon);
    const negLr = f(-lr);
    const d1 = f(1 - this.accBeta1);
    const d2 = f(1 - this.accBeta2);
    // The first step picks the path for good (m and v then live on one side only).
    if (this.simd === undefined) this.simd = simdAdam ? simdState(this.m.map((a) => a.length)) : null;
    const simd = this.simd;
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k]!;
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      if (w.length !== m.length || g.length !== m.length)
        throw new Error(
          `FlatAdam: weight ${k} has ${w.length} values and ${g.length} gradients, expected ${m.length}`,
        );
      if (simd) {
        simd.heap.set(w, simd.w);
        simd.heap.set(g, simd.g);
        simd.adam(
          4 * simd.w,
          4 * simd.g,
          4 * simd.m[k]!,
          4 * simd.v[k]!,
          m.length,
          b1,
          b2,
          c1,
          c2,
          d1,
          d2,
          eps,
          negLr,
        );
        w.set(simd.heap.subarray(simd.w, simd.w + m.length));
        continue;
      }
      for (let i = 0; i < m.length; i++) {
        const gi = g[i]!;
        const mi = f(f(m[i]! * b1) + f(gi * c1));
        const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
        m[i] = mi;
        v[i] = vi;
        const mHat = f(mi / d1);
        const vHat = f(vi / d2);
        w[i] = f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * negLr) + w[i]!;
      }
    }
    this.accBeta1 = f(this.accBeta1 * b1);
    this.accBeta2 = f(this.accBeta2 * b2);
  }
}
