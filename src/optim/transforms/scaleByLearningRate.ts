import type { VectorOps } from "../vectorOps.js";
import { defaultOps, valueAt, type CountState, type ScalarOrSchedule, type Transform } from "./types.js";

/**
 * u ← −lr(k) · u, with lr a number or a schedule of the step count k (0 at the first step). The minus sign makes a
 * chain that starts from the gradient a descent step, as Optax's `scale_by_learning_rate`.
 * `flipSign: false` keeps the sign (ascent, or an update that is already a descent direction).
 */
export function scaleByLearningRate<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: { flipSign?: boolean } = {},
  ops?: VectorOps<V>,
): Transform<CountState, V> {
  const o = defaultOps(ops);
  const sign = options.flipSign === false ? 1 : -1;
  return {
    init: () => ({ count: 0 }),
    update: (u, s) => [o.scale(u, sign * valueAt(learningRate, s.count), u), { count: s.count + 1 }],
  };
}

/** u ← factor(k) · u for a schedule of the step count (no sign flip). */
export function scaleBySchedule<V = Float64Array>(
  schedule: ScalarOrSchedule,
  ops?: VectorOps<V>,
): Transform<CountState, V> {
  const o = defaultOps(ops);
  return {
    init: () => ({ count: 0 }),
    update: (u, s) => [o.scale(u, valueAt(schedule, s.count), u), { count: s.count + 1 }],
  };
}
