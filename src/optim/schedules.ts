/**
 * Learning-rate schedules: functions of the step count k (0 at the first step), as Optax's schedules.
 * Pass one wherever a `ScalarOrSchedule` is accepted, e.g. `scaleByLearningRate(cosineDecaySchedule(0.1, 1000))`.
 */
import { assertArg } from "../errors.js";
import type { Schedule } from "./transforms/types.js";

export type { Schedule };

/** lr(k) = value */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

/**
 * Step decay: lr(k) = init · rate^floor(k / every) (with `boundaries`, multiply by `rate` at each listed step instead).
 */
export function stepSchedule(
  init: number,
  options: { every?: number; boundaries?: number[]; rate: number },
): Schedule {
  const { every, boundaries, rate } = options;
  if (boundaries) {
    const b = [...boundaries].sort((x, y) => x - y);
    return (k) => {
      let v = init;
      for (const t of b) if (k >= t) v *= rate;
      return v;
    };
  }
  assertArg(every !== undefined && every > 0, () => "stepSchedule: give `every` > 0 or `boundaries`");
  return (k) => init * rate ** Math.floor(k / every);
}

/** Exponential decay: lr(k) = init · rate^(k / steps). */
export function exponentialDecaySchedule(init: number, rate: number, steps: number): Schedule {
  return (k) => init * rate ** (k / steps);
}

/** Linear from `init` to `end` over `steps` steps, constant afterwards. */
export function linearSchedule(init: number, end: number, steps: number): Schedule {
  return (k) => (steps <= 0 || k >= steps ? end : init + ((end - init) * k) / steps);
}

/**
 * Cosine decay (Loshchilov & Hutter, SGDR): lr(k) = end + (init − end) · (1 + cos(π min(k, steps) / steps)) / 2,
 * where end = alpha · init.
 */
export function cosineDecaySchedule(init: number, steps: number, alpha = 0): Schedule {
  assertArg(steps > 0, () => `cosineDecaySchedule: steps must be > 0, got ${steps}`);
  return (k) => {
    const c = 0.5 * (1 + Math.cos((Math.PI * Math.min(k, steps)) / steps));
    return init * ((1 - alpha) * c + alpha);
  };
}

/** Linear warm-up from `warmupInit` to `peak` over `warmupSteps`, then `after` (evaluated at k − warmupSteps). */
export function warmupSchedule(peak: number, warmupSteps: number, after: Schedule, warmupInit = 0): Schedule {
  return (k) =>
    k < warmupSteps ? warmupInit + ((peak - warmupInit) * k) / warmupSteps : after(k - warmupSteps);
}

/** Warm-up to `peak`, then cosine decay to `end` over the remaining `decaySteps − warmupSteps` steps (Optax's). */
export function warmupCosineDecaySchedule(
  init: number,
  peak: number,
  warmupSteps: number,
  decaySteps: number,
  end = 0,
): Schedule {
  const rest = Math.max(1, decaySteps - warmupSteps);
  return warmupSchedule(
    peak,
    warmupSteps,
    cosineDecaySchedule(peak, rest, peak === 0 ? 0 : end / peak),
    init,
  );
}

/** Plays `schedules[i]` from `boundaries[i - 1]` on, each evaluated at steps counted from its own start. */
export function joinSchedules(schedules: Schedule[], boundaries: number[]): Schedule {
  assertArg(
    schedules.length === boundaries.length + 1,
    () => "joinSchedules: need one more schedule than boundaries",
  );
  return (k) => {
    let i = 0;
    while (i < boundaries.length && k >= boundaries[i]!) i++;
    return schedules[i]!(i === 0 ? k : k - boundaries[i - 1]!);
  };
}
