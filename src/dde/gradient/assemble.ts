/**
 * What the retarded and the neutral forward sensitivities share: the lags and jumps of their solve, and from the solved
 * track to dJ/dtheta: the
 * quadrature states carry the integral terms, the point terms read s at their times, and an observation on a breaking
 * point that moves with a target gets both one-sided derivatives instead of a wrong number.
 */
import type { GradContext } from "./context.js";
import type { DenseTrack, Side } from "./integrator.js";

/** tau_j at t for the sensitivity solve: state-dependent lags read y(t) off the solved trajectory. */
export function trajectoryLag(ctx: GradContext): (t: number, j: number, side: Side) => number {
  const { problem, traj, p } = ctx;
  const y = new Float64Array(ctx.n);
  return (t, j, side) => {
    if (!ctx.constantLags) traj.y(t, y, side);
    return problem.delays[j]!.lag(t, y, p);
  };
}

/** s(xi+) = update(s(xi-)) + v at every breaking point that moves with a target (the first NS states are s). */
export function sensitivityJumps(
  ctx: GradContext,
  NS: number,
): { t: number; apply: (x: Float64Array) => void }[] {
  return ctx.jumps.map((jmp) => ({
    t: jmp.t,
    apply: (x: Float64Array) => {
      jmp.update?.(x);
      for (let q = 0; q < NS; q++) x[q] = x[q]! + jmp.v[q]!;
    },
  }));
}

export interface AssembledForward {
  gradient: Float64Array;
  oneSided: { index: number; left: number; right: number }[];
  sensitivity(t: number, out: Float64Array, side?: Side): Float64Array;
}

/** The track holds n*nt sensitivity states (target-major) followed by nq quadratures (nt of them, or none). */
export function assembleForward(
  ctx: GradContext,
  track: DenseTrack,
  NS: number,
  nq: number,
): AssembledForward {
  const { n, nt } = ctx;
  const N = NS + nq;
  const xs = new Float64Array(N);
  const sensitivity = (t: number, out: Float64Array, side: Side = "right") => {
    track.eval(t, xs, side);
    out.set(xs.subarray(0, NS));
    return out;
  };

  const gradient = new Float64Array(nt);
  const left = new Float64Array(nt);
  const right = new Float64Array(nt);
  const sMinus = new Float64Array(NS);
  const sPlus = new Float64Array(NS);
  const kinked = new Uint8Array(nt);
  if (nq > 0) {
    const fin = track.final;
    for (let k = 0; k < nt; k++) gradient[k] = fin[NS + k]!;
  }
  left.set(gradient);
  right.set(gradient);
  for (const pt of ctx.points) {
    sensitivity(pt.t, sPlus, "right");
    const on = ctx.jumpsAt(pt.t);
    // The left limit differs only on a moving jump (elsewhere the right one is used).
    const minus = on.length > 0 ? sensitivity(pt.t, sMinus, "left") : sPlus;
    for (let k = 0; k < nt; k++) {
      let gm = pt.gp[k]!;
      let gpl = pt.gp[k]!;
      for (let i = 0; i < n; i++) {
        gm += pt.gy[i]! * minus[k * n + i]!;
        gpl += pt.gy[i]! * sPlus[k * n + i]!;
      }
      if (on.length === 0 || gm === gpl) {
        // Off every moving jump, s is continuous (the two sides agree up to a rounding).
        gradient[k] = gradient[k]! + gpl;
        left[k] = left[k]! + gpl;
        right[k] = right[k]! + gpl;
        continue;
      }
      // The breaking point moves right when dxi/dtheta > 0: a step up in theta leaves t on the pre-jump side.
      const moveRight = on[0]!.dxi[k]! > 0;
      right[k] = right[k]! + (moveRight ? gm : gpl);
      left[k] = left[k]! + (moveRight ? gpl : gm);
      kinked[k] = 1;
    }
  }
  const oneSided: AssembledForward["oneSided"] = [];
  for (let k = 0; k < nt; k++)
    if (kinked[k]) {
      if (left[k] === right[k]) gradient[k] = left[k]!;
      else {
        gradient[k] = NaN;
        oneSided.push({ index: k, left: left[k]!, right: right[k]! });
      }
    } else gradient[k] = left[k]!;
  return { gradient, oneSided, sensitivity };
}
