/**
 * Gradients from function values alone. Both estimators use antithetic (two-sided) pairs along random directions v:
 *   ĝ = (1/S) Σ_s [f(x + δ v_s) − f(x − δ v_s)] / (2δ) · w_s
 * SPSA (Spall 1992): v has ±1 entries and w = v (1/v_i = v_i), so E[ĝ] = ∇f + O(δ²).
 * Random directions / NES (Wierstra et al. 2014, Ilyas et al. 2018): v ~ N(0, I), w = v: E[ĝ] is the gradient of the
 * Gaussian smoothing of f, again ∇f + O(δ²) for smooth f.
 * Each estimate costs exactly 2·samples queries of f (plus one more when f(x) itself is wanted).
 */
import { assertArg } from "../../errors.js";
import { fillGaussian, fillRademacher, seededUniform, type Uniform } from "./rng.js";

export type EstimatorKind = "spsa" | "nes";

export interface GradientEstimatorOptions {
  /** "spsa" (Rademacher directions, default) or "nes" (antithetic Gaussian directions). */
  kind?: EstimatorKind;
  /** Direction pairs per estimate (default 16): 2·samples queries. */
  samples?: number;
  /** Finite-difference radius δ (default 1e-3 for spsa, 1e-3 for nes; scale it to x). */
  delta?: number;
  /** Seed of the directions (default 0); or give `random`. */
  seed?: number;
  random?: Uniform;
}

/** A reusable estimator: owns its direction/trial buffers and random stream; counts the queries it made. */
export interface GradientEstimator {
  readonly kind: EstimatorKind;
  readonly samples: number;
  readonly delta: number;
  /** Queries of f made so far. */
  queries: number;
  /** Writes the estimate of ∇f(x) into g (x is left unchanged); returns the queries this estimate used (2·samples). */
  estimate(f: (x: Float64Array) => number, x: Float64Array, g: Float64Array): number;
}

export function gradientEstimator(n: number, options: GradientEstimatorOptions = {}): GradientEstimator {
  const kind = options.kind ?? "spsa";
  assertArg(
    kind === "spsa" || kind === "nes",
    () => `gradientEstimator: kind must be "spsa" or "nes", got ${String(kind)}`,
  );
  const samples = options.samples ?? 16;
  assertArg(
    Number.isInteger(samples) && samples >= 1,
    () => `gradientEstimator: samples must be a positive integer, got ${samples}`,
  );
  const delta = options.delta ?? 1e-3;
  assertArg(delta > 0 && Number.isFinite(delta), () => `gradientEstimator: delta must be > 0, got ${delta}`);
  assertArg(
    Number.isInteger(n) && n >= 1,
    () => `gradientEstimator: dimension must be a positive integer, got ${n}`,
  );
  const rand = options.random ?? seededUniform(options.seed ?? 0);
  const v = new Float64Array(n);
  const trial = new Float64Array(n);
  const est: GradientEstimator = {
    kind,
    samples,
    delta,
    queries: 0,
    estimate(f, x, g) {
      assertArg(
        x.length === n && g.length === n,
        () => `gradientEstimator: expected vectors of length ${n}, got x ${x.length}, g ${g.length}`,
      );
      g.fill(0);
      for (let s = 0; s < samples; s++) {
        if (kind === "spsa") fillRademacher(v, rand);
        else fillGaussian(v, rand);
        for (let i = 0; i < n; i++) trial[i] = x[i]! + delta * v[i]!;
        const fPlus = f(trial);
        for (let i = 0; i < n; i++) trial[i] = x[i]! - delta * v[i]!;
        const fMinus = f(trial);
        const c = (fPlus - fMinus) / (2 * delta * samples);
        for (let i = 0; i < n; i++) g[i] = g[i]! + c * v[i]!;
      }
      est.queries += 2 * samples;
      return 2 * samples;
    },
  };
  return est;
}

/** One-shot SPSA estimate of ∇f(x) into g; returns the queries used (2·samples). */
export function spsaGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  g: Float64Array,
  options: Omit<GradientEstimatorOptions, "kind"> = {},
): number {
  return gradientEstimator(x.length, { ...options, kind: "spsa" }).estimate(f, x, g);
}

/** One-shot antithetic-Gaussian (NES) estimate of ∇f(x) into g; returns the queries used (2·samples). */
export function nesGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  g: Float64Array,
  options: Omit<GradientEstimatorOptions, "kind"> = {},
): number {
  return gradientEstimator(x.length, { ...options, kind: "nes" }).estimate(f, x, g);
}
