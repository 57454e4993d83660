/**
 * SPSA-PGD, L-inf (Uesato, O'Donoghue, van den Oord, Kohli, ICML 2018): projected sign-gradient descent on the margin
 * loss s_y − max_{j≠y} s_j, with the gradient estimated from scores alone by SPSA (antithetic ±1 directions, see
 * optim/estimators). Each step costs 2·samples + 1 queries per input (the probes, then the new point, which also
 * decides early stopping). Probes are clipped to the model's bounds, so every query is a valid input.
 */
import { assertArg } from "../../errors.js";
import { fillGaussian, fillRademacher, seededUniform } from "../../optim/estimators/rng.js";
import type { BlackBoxOutput, FixedEpsilonBlackBox } from "./base.js";
import { margins } from "./model.js";

export interface SpsaAttackOptions {
  /** Queries per input, the clean one included (default 2000). */
  maxQueries?: number;
  /** Direction pairs per gradient estimate (default 32). */
  samples?: number;
  /** SPSA probe radius (default 0.01 on the pixel scale). */
  delta?: number;
  /** Step size as a fraction of eps (default 0.25). */
  relativeStep?: number;
  /** Probe directions: "rademacher" (SPSA, default) or "gaussian" (antithetic NES, Ilyas et al. 2018). */
  directions?: "rademacher" | "gaussian";
}

export function spsaAttack(options: SpsaAttackOptions = {}): FixedEpsilonBlackBox {
  const maxQueries = options.maxQueries ?? 2000;
  const samples = options.samples ?? 32;
  const delta = options.delta ?? 0.01;
  const relativeStep = options.relativeStep ?? 0.25;
  assertArg(
    Number.isInteger(samples) && samples >= 1,
    () => `spsaAttack: samples must be a positive integer, got ${samples}`,
  );
  assertArg(
    Number.isInteger(maxQueries) && maxQueries >= 2 * samples + 2,
    () =>
      `spsaAttack: maxQueries must be an integer >= 2·samples + 2 = ${2 * samples + 2}, got ${maxQueries}`,
  );
  assertArg(delta > 0, () => `spsaAttack: delta must be > 0, got ${delta}`);
  assertArg(relativeStep > 0, () => `spsaAttack: relativeStep must be > 0, got ${relativeStep}`);
  const perStep = 2 * samples + 1;
  const gaussian = options.directions === "gaussian";
  assertArg(
    options.directions === undefined || gaussian || options.directions === "rademacher",
    () => `spsaAttack: directions must be "rademacher" or "gaussian", got ${String(options.directions)}`,
  );
  return {
    kind: "fixed-epsilon",
    name: gaussian ? "nes" : "spsa",
    distance: "linf",
    access: "score",
    async run(batch, eps): Promise<BlackBoxOutput> {
      const { model, x, labels, n } = batch;
      const d = model.inputSize;
      const k = model.numClasses;
      const [lo, hi] = model.bounds;
      const rand = seededUniform(batch.seed ^ 0x59a5);
      const adv = Float32Array.from(x);
      const scores = Float32Array.from(batch.cleanScores);
      const margin = new Float64Array(n);
      margins(
        model,
        batch.cleanScores,
        labels,
        Array.from({ length: n }, (_, i) => i),
        margin,
      );
      let active: number[] = [];
      for (let i = 0; i < n; i++) if (margin[i]! >= 0) active.push(i);
      if (eps === 0) return { adv, scores };
      const alpha = relativeStep * eps;
      const v = new Float64Array(d);
      const grad = new Float64Array(d);
      const clip = (j: number, value: number) =>
        Math.min(Math.max(value, x[j]! - eps, lo), Math.min(x[j]! + eps, hi));

      while (
        (active = active.filter((i) => margin[i]! >= 0 && batch.queries[i]! + perStep <= maxQueries)).length >
        0
      ) {
        const m = active.length;
        const probes = new Float32Array(m * 2 * samples * d);
        const signs = new Float32Array(m * samples * d);
        for (let r = 0; r < m; r++) {
          const base = active[r]! * d;
          for (let s = 0; s < samples; s++) {
            if (gaussian) fillGaussian(v, rand);
            else fillRademacher(v, rand);
            const plus = (r * 2 * samples + 2 * s) * d;
            for (let j = 0; j < d; j++) {
              signs[(r * samples + s) * d + j] = v[j]!;
              const a = adv[base + j]!;
              probes[plus + j] = Math.min(Math.max(a + delta * v[j]!, lo), hi);
              probes[plus + d + j] = Math.min(Math.max(a - delta * v[j]!, lo), hi);
            }
          }
        }
        const probeScores = await model.scores(probes, m * 2 * samples);
        const rows = active.flatMap((i) => new Array<number>(2 * samples).fill(i));
        const losses = new Float64Array(rows.length);
        margins(model, probeScores, labels, rows, losses);
        const next = new Float32Array(m * d);
        for (let r = 0; r < m; r++) {
          const i = active[r]!;
          batch.queries[i] = batch.queries[i]! + 2 * samples;
          grad.fill(0);
          for (let s = 0; s < samples; s++) {
            const diff = losses[r * 2 * samples + 2 * s]! - losses[r * 2 * samples + 2 * s + 1]!;
            if (!Number.isFinite(diff)) continue;
            for (let j = 0; j < d; j++) grad[j] = grad[j]! + diff * signs[(r * samples + s) * d + j]!;
          }
          // Descend the margin: a signed step, projected onto the eps-ball and the bounds.
          for (let j = 0; j < d; j++) {
            const g = grad[j]!;
            next[r * d + j] = clip(i * d + j, adv[i * d + j]! - alpha * (g > 0 ? 1 : g < 0 ? -1 : 0));
          }
        }
        const nextScores = await model.scores(next, m);
        const nextMargin = new Float64Array(m);
        margins(model, nextScores, labels, active, nextMargin);
        for (let r = 0; r < m; r++) {
          const i = active[r]!;
          batch.queries[i]!++;
          adv.set(next.subarray(r * d, r * d + d), i * d);
          scores.set(nextScores.subarray(r * k, r * k + k), i * k);
          margin[i] = Number.isNaN(nextMargin[r]!) ? Infinity : nextMargin[r]!;
        }
      }
      return { adv, scores };
    },
  };
}
