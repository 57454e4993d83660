/**
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989) with the Moré-Thuente strong-Wolfe line search.
 *
 * Conventions follow L-BFGS-B / liblbfgs so iteration counts compare with SciPy: the first step is 1/||g||_2 along
 * −g, then 1; H0 = (sᵀy / yᵀy) I from the newest pair; a pair is skipped when sᵀy ≤ ε·(−sᵀg_old); on a failed line
 * search the memory is dropped and steepest descent retried once. Memory is a ring buffer of m (s, y) pairs in
 * preallocated Float64Arrays; the two-loop recursion and the line-search trial points allocate nothing per element.
 * This file holds L-BFGS's memory and direction; the loop around them (line search, retry, stopping) is
 * `runQuasiNewton` in quasiNewton.ts, shared with L-BFGS-B.
 *
 * @see J. Nocedal, S. J. Wright (2006), Numerical Optimization, 2nd ed., Algorithms 7.4 and 7.5.
 */
import { checkStart, type ObjectiveFn } from "./objective.js";
import {
  memoryOption,
  runQuasiNewton,
  type QuasiNewtonMethod,
  type QuasiNewtonOptions,
} from "./quasiNewton.js";
import type { OptimResult } from "./status.js";
import { dot, infNorm, scaledNorm2 } from "./vectorOps.js";

export type LbfgsOptions = QuasiNewtonOptions;

export function lbfgs(fg: ObjectiveFn, x0: ArrayLike<number>, options: LbfgsOptions = {}): OptimResult {
  const x = checkStart(x0, "lbfgs");
  const m = memoryOption(options);
  return runQuasiNewton("lbfgs", fg, x, options, () => twoLoopMethod(x.length, m, options));
}

/** L-BFGS's part of the iteration: the (s, y) ring buffer and d = −H g by the two-loop recursion. */
function twoLoopMethod(n: number, m: number, options: LbfgsOptions): QuasiNewtonMethod {
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let head = 0; // slot of the next pair
  let count = 0;
  let gamma = 1;
  return {
    gradNorm: (_x, g) => infNorm(g),
    memoryCount: () => count,
    resetMemory: () => {
      count = 0;
    },
    direction(_x, g, d) {
      // Two-loop recursion d = −H g, each axpy fused with the next dot product (half the passes over memory).
      twoLoop(g, d, S, Y, rho, alpha, head, count, gamma);
      let dg0 = dot(g, d);
      if (!(dg0 < 0)) {
        // Not a descent direction (round-off in H): restart from steepest descent.
        count = 0;
        for (let i = 0; i < n; i++) d[i] = -g[i]!;
        dg0 = dot(g, d);
      }
      // The first step (no memory) is 1/||d||_2, as L-BFGS-B and liblbfgs; then 1.
      const stp0 = count === 0 ? Math.min(1 / scaledNorm2(d), options.lineSearch?.stpmax ?? 1e20) : 1;
      return { dg0, stp0 };
    },
    trialPoint(stp, xPrev, d, x) {
      for (let i = 0; i < n; i++) x[i] = xPrev[i]! + stp * d[i]!;
    },
    addPair(x, xPrev, g, gPrev) {
      const s = S[head]!;
      const y = Y[head]!;
      let yy = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        const si = x[i]! - xPrev[i]!;
        const yi = g[i]! - gPrev[i]!;
        s[i] = si;
        y[i] = yi;
        yy += yi * yi;
        sy += si * yi;
      }
      rho[head] = 1 / sy;
      gamma = sy / yy; // H0 = (sᵀy / yᵀy) I from the newest pair
      head = (head + 1) % m;
      count = Math.min(count + 1, m);
    },
  };
}

/**
 * d = −H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4) over the ring buffer, newest pair at slot
 * head − 1, with H0 = gamma·I. Each pass applies one pair's update and accumulates the next pair's dot product, so
 * memory is read 2m + 1 times instead of 4m + 2; the arithmetic (and so the result) is that of the plain loops.
 */
function twoLoop(
  g: Float64Array,
  d: Float64Array,
  S: Float64Array[],
  Y: Float64Array[],
  rho: Float64Array,
  alpha: Float64Array,
  head: number,
  count: number,
  gamma: number,
): void {
  const n = g.length;
  const m = S.length;
  const slot = (k: number) => (head - 1 - k + m) % m; // k = 0: newest
  if (count === 0) {
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    return;
  }
  // First loop, newest to oldest: a_k = ρ_k s_kᵀ q; q −= a_k y_k.
  let s = S[slot(0)]!;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const q = -g[i]!;
    d[i] = q;
    acc += s[i]! * q;
  }
  for (let k = 0; k < count; k++) {
    const j = slot(k);
    const a = rho[j]! * acc;
    alpha[j] = a;
    const y = Y[j]!;
    acc = 0;
    if (k + 1 < count) {
      s = S[slot(k + 1)]!;
      for (let i = 0; i < n; i++) {
        const q = d[i]! - a * y[i]!;
        d[i] = q;
        acc += s[i]! * q;
      }
    } else {
      // last update fused with the scaling by H0 and the first dot of the second loop (oldest pair)
      const yOld = Y[slot(count - 1)]!;
      for (let i = 0; i < n; i++) {
        const r = (d[i]! - a * y[i]!) * gamma;
        d[i] = r;
        acc += yOld[i]! * r;
      }
    }
  }
  // Second loop, oldest to newest: b_k = ρ_k y_kᵀ r; r += (a_k − b_k) s_k.
  for (let k = count - 1; k >= 0; k--) {
    const j = slot(k);
    const t = alpha[j]! - rho[j]! * acc;
    const sj = S[j]!;
    acc = 0;
    if (k > 0) {
      const yNext = Y[slot(k - 1)]!;
      for (let i = 0; i < n; i++) {
        const r = d[i]! + t * sj[i]!;
        d[i] = r;
        acc += yNext[i]! * r;
      }
    } else for (let i = 0; i < n; i++) d[i] = d[i]! + t * sj[i]!;
  }
}
