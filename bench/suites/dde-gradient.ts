/**
 * Cost of an exact gradient through a DDE relative to a plain solve, for 1, 10 and 100 parameters, forward sensitivities
 * vs the adjoint (and central finite differences, 2 np solves, as the baseline a user would otherwise pay).
 * Model: a network of N = 10 delayed states y_i' = -d y_i + tanh(sum_j W_ij y_j(t - tau)) + c_i; the targets are
 * entries of W. Targets of the issue: forward <= (1 + np) x solve, adjoint <= 5 x solve independent of np.
 * The model carries the dense Jacobians and the matrix-free products jvp / vjp a user can write by hand (tanh computed
 * once for all directions), and fjvp (f and its tangents in one call: forward sensitivities run on the solver's own
 * stages, src/dde/gradient/stagedForward.ts); the gradient code uses the products. The gradient times include the
 * forward solve.
 */
import { costGradient, type CostGradientResult } from "../../src/dde/gradient/index.js";
import type { Cost } from "../../src/dde/gradient/cost-types.js";
import { solve } from "../../src/dde/solve.js";
import type { DDEProblem } from "../../src/dde/types.js";
import { printTable, writeResult } from "../util.js";

/**
 * Best CPU time (user + system, ms) of each function over `rounds` rounds that run them in turn: on a shared, loaded
 * machine CPU time is far steadier than wall time, and interleaving puts the plain solve and the gradients it is compared
 * with under the same load (timed one after the other, a ratio moved with the load by up to 2x here).
 */
function interleavedBestCpu<T>(fns: (() => T)[], rounds: number): { ms: number; result: T }[] {
  const out = fns.map((fn) => ({ ms: Infinity, result: fn() }));
  for (let r = 0; r < rounds; r++)
    fns.forEach((fn, i) => {
      const c0 = process.cpuUsage();
      const result = fn();
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000;
      if (ms < out[i]!.ms) out[i] = { ms, result };
    });
  return out;
}

const N = 10;
const NP = N * N + 1 + N; // W, d, c

export function network(): DDEProblem {
  const u = new Float64Array(N);
  const p = new Float64Array(NP);
  // Deterministic weights in [-0.6, 0.6] (a fixed LCG), decay 1, inputs c_i.
  let s = 12345;
  for (let k = 0; k < N * N; k++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    p[k] = (s / 2147483648 - 0.5) * 1.2;
  }
  p[N * N] = 1;
  for (let i = 0; i < N; i++) p[N * N + 1 + i] = 0.1 * (i - 4.5);
  const slope = new Float64Array(N);
  const w = new Float64Array(N);
  const pre = (z: Float64Array, pp: Float64Array) => {
    for (let i = 0; i < N; i++) {
      let acc = 0;
      for (let j = 0; j < N; j++) acc += pp[i * N + j]! * z[j]!;
      u[i] = Math.tanh(acc);
      slope[i] = 1 - u[i]! * u[i]!;
    }
  };
  // Tangents along every direction after pre() (slope = tanh' at the pre-activation).
  const tangents = (
    y: Float64Array,
    z: Float64Array,
    pp: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ) => {
    const d = pp[N * N]!;
    for (let k = 0; k < cols.length; k++) {
      const o = k * N;
      for (let i = 0; i < N; i++) {
        let acc = 0;
        for (let j = 0; j < N; j++) acc += pp[i * N + j]! * vz[o + j]!;
        out[o + i] = -d * vy[o + i]! + slope[i]! * acc;
      }
      const q = cols[k]!;
      if (q < 0) continue;
      if (q < N * N) {
        const i = (q / N) | 0;
        out[o + i] = out[o + i]! + slope[i]! * z[q - i * N]!;
      } else if (q === N * N) for (let i = 0; i < N; i++) out[o + i] = out[o + i]! - y[i]!;
      else out[o + q - N * N - 1] = out[o + q - N * N - 1]! + 1;
    }
  };
  return {
    n: N,
    f: (_t, y, z, pp, dy) => {
      pre(z, pp);
      const d = pp[N * N]!;
      for (let i = 0; i < N; i++) dy[i] = -d * y[i]! + u[i]! + pp[N * N + 1 + i]!;
    },
    delays: [{ kind: "constant", lag: () => 1 }],
    history: { constant: true, value: (_t, _p, o) => o.fill(0.2), derivative: (_t, _p, o) => o.fill(0) },
    tspan: [0, 20],
    p,
    jac: {
      dy: (_t, _y, _z, pp, out) => {
        out.fill(0, 0, N * N);
        for (let i = 0; i < N; i++) out[i * N + i] = -pp[N * N]!;
      },
      dz: (_t, _y, z, pp, out) => {
        pre(z, pp);
        for (let i = 0; i < N; i++) {
          const s1 = 1 - u[i]! * u[i]!;
          for (let j = 0; j < N; j++) out[i * N + j] = s1 * pp[i * N + j]!;
        }
      },
      dp: (_t, y, z, pp, out) => {
        pre(z, pp);
        out.fill(0, 0, N * NP);
        for (let i = 0; i < N; i++) {
          const s1 = 1 - u[i]! * u[i]!;
          for (let j = 0; j < N; j++) out[i * NP + i * N + j] = s1 * z[j]!;
          out[i * NP + N * N] = -y[i]!;
          out[i * NP + N * N + 1 + i] = 1;
        }
      },
      // The matrix-free products a user writes by hand: tanh is computed once for every direction, and once for f and
      // its tangents together (fjvp: forward sensitivities on the solver's own stages).
      jvp: (_t, y, z, pp, _zd, vy, vz, cols, out) => {
        pre(z, pp);
        tangents(y, z, pp, vy, vz, cols, out);
      },
      fjvp: (_t, y, z, pp, _zd, vy, vz, cols, out, dy) => {
        pre(z, pp);
        const d = pp[N * N]!;
        for (let i = 0; i < N; i++) dy[i] = -d * y[i]! + u[i]! + pp[N * N + 1 + i]!;
        tangents(y, z, pp, vy, vz, cols, out);
      },
      vjp: (_t, y, z, pp, _zd, v, outY, outZ, cols, outP) => {
        const d = pp[N * N]!;
        if (outY) for (let i = 0; i < N; i++) outY[i] = outY[i]! - d * v[i]!;
        if (!outZ && !outP) return;
        pre(z, pp);
        for (let i = 0; i < N; i++) w[i] = v[i]! * slope[i]!;
        if (outZ)
          for (let i = 0; i < N; i++) {
            const wi = w[i]!;
            for (let j = 0; j < N; j++) outZ[j] = outZ[j]! + wi * pp[i * N + j]!;
          }
        if (outP)
          for (let k = 0; k < cols.length; k++) {
            const q = cols[k]!;
            let g = 0;
            if (q < N * N) {
              const i = (q / N) | 0;
              g = w[i]! * z[q - i * N]!;
            } else if (q === N * N) for (let i = 0; i < N; i++) g -= v[i]! * y[i]!;
            else g = v[q - N * N - 1]!;
            outP[k] = outP[k]! + g;
          }
      },
    },
  };
}

export default async function run(): Promise<void> {
  const pr = network();
  const times = Array.from({ length: 20 }, (_, k) => k + 1);
  const values = new Float64Array(times.length * N).fill(0.3);
  const cost: Cost = [
    { kind: "data", times, states: Array.from({ length: N }, (_, i) => i), values, sigma: 0.1 },
  ];
  const rows: Record<string, string | number>[] = [];
  // The same model without the fused fjvp (a user who wrote only jvp): forward calls f and jvp at every stage.
  const noFused: DDEProblem = { ...pr, jac: { ...pr.jac, fjvp: undefined } };
  // Warm the JIT on every configuration first (each target count and tolerance, several passes: one pass left the first
  // configuration timed still 25% slow), so that none is charged for compilation or a deoptimisation; then
  // best-of-many CPU times (the machine may be loaded).
  for (let pass = 0; pass < 5; pass++)
    for (const rtol of [1e-6, 1e-8]) {
      solve(pr, { rtol, atol: rtol / 100 });
      for (const np of [1, 10, 100])
        for (const [model, method] of [
          [pr, "forward"],
          [pr, "adjoint"],
          [noFused, "forward"],
        ] as const)
          costGradient(model, cost, {
            wrt: Array.from({ length: np }, (_, k) => k),
            method,
            rtol,
            atol: rtol / 100,
          });
    }
  for (const rtol of [1e-6, 1e-8]) {
    const atol = rtol / 100;
    for (const np of [1, 10, 100]) {
      const wrt = Array.from({ length: np }, (_, k) => k);
      const [plain, fwd, adj, sep] = interleavedBestCpu<unknown>(
        [
          () => solve(pr, { rtol, atol }),
          () => costGradient(pr, cost, { wrt, method: "forward", rtol, atol }),
          () => costGradient(pr, cost, { wrt, method: "adjoint", rtol, atol }),
          () => costGradient(noFused, cost, { wrt, method: "forward", rtol, atol }),
        ],
        np >= 100 ? 10 : 30,
      ) as [
        { ms: number },
        { ms: number; result: CostGradientResult },
        { ms: number; result: CostGradientResult },
        { ms: number; result: CostGradientResult },
      ];
      let rel = 0;
      let scale = 0;
      for (let k = 0; k < np; k++) {
        rel = Math.max(rel, Math.abs(fwd.result.gradient[k]! - adj.result.gradient[k]!));
        scale = Math.max(scale, Math.abs(fwd.result.gradient[k]!));
      }
      rows.push({
        rtol,
        params: np,
        "solve cpu ms": plain.ms,
        "forward cpu ms": fwd.ms,
        "forward/solve": fwd.ms / plain.ms,
        "target fwd": 1 + np,
        "fwd no fjvp/solve": sep.ms / plain.ms,
        "adjoint cpu ms": adj.ms,
        "adjoint/solve": adj.ms / plain.ms,
        "central FD/solve": 2 * np,
        "fwd-adj rel diff": rel / scale,
      });
    }
  }
  printTable(rows);
  writeResult("dde-gradient", {
    timing:
      "best CPU time (user + system) over interleaved rounds of solve, forward, adjoint, forward without fjvp",
    model: `network of ${N} delayed states, tanh coupling, span [0, 20], tau = 1`,
    rows,
  });
}
