/**
 * The one loop behind BIM, PGD (L-inf, L2) and MI-FGSM (Foolbox's BaseGradientDescent): from a (random) start, take
 * `steps` steps along the optimiser-core update of the loss gradient, projecting onto the eps-ball and the bounds
 * after every step. Steps and projections come from src/optim over tensors (sign, momentum trace, learning rate,
 * chain; the L-inf ball-and-box projection); per-sample L2 normalisation and projection come from distances.ts.
 *
 * Per-sample early stopping: an input that meets the criterion is recorded and dropped from the batch, so later steps
 * spend no gradient on it. Restarts: inputs still not adversarial get another random start; across restarts each
 * keeps its best attempt (adversarial, else the highest loss).
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import {
  chain,
  projectLinfBallBox,
  scaleByLearningRate,
  scaleBySign,
  trace,
  type AnyTransform,
} from "../optim/index.js";
import { recordGradientStats, type AttackBatch, type FixedEpsilonAttack } from "./base.js";
import type { Criterion } from "./criteria.js";
import { normalizePerSample, perSample, projectToBallAndBounds, type Distance } from "./distances.js";
import { linfSignStep } from "./linf-step.js";
import { adversarialGradient, adversarialLoss } from "./loss.js";
import { tensorOps } from "./tensor-ops.js";

export interface GradientDescentOptions {
  /** Number of gradient steps (default 10). */
  steps?: number;
  /** Step size relative to eps (used when absStepsize is not given). */
  relStepsize?: number;
  /** Absolute step size on the pixel scale. */
  absStepsize?: number;
  /** Start from a uniformly random point of the eps-ball. */
  randomStart?: boolean;
  /** Number of random starts; each input keeps its best (default 1). */
  restarts?: number;
  /** Stop updating an input once it is adversarial (default true). */
  earlyStop?: boolean;
  /** MI-FGSM's momentum decay mu (0 = none). */
  momentum?: number;
}

interface Resolved {
  name: string;
  distance: Distance;
  steps: number;
  relStepsize: number;
  absStepsize: number | undefined;
  randomStart: boolean;
  restarts: number;
  earlyStop: boolean;
  momentum: number;
}

export function resolveOptions(
  name: string,
  distance: Distance,
  o: GradientDescentOptions,
  defaults: { steps: number; relStepsize: number; randomStart: boolean },
): Resolved {
  const steps = o.steps ?? defaults.steps;
  const restarts = o.restarts ?? 1;
  assertArg(
    Number.isInteger(steps) && steps >= 1,
    () => `${name}: steps must be a positive integer, got ${steps}`,
  );
  assertArg(
    Number.isInteger(restarts) && restarts >= 1,
    () => `${name}: restarts must be a positive integer, got ${restarts}`,
  );
  const rel = o.relStepsize ?? defaults.relStepsize;
  assertArg(rel > 0 && Number.isFinite(rel), () => `${name}: relStepsize must be > 0, got ${rel}`);
  assertArg(
    o.absStepsize === undefined || (o.absStepsize > 0 && Number.isFinite(o.absStepsize)),
    () => `${name}: absStepsize must be > 0, got ${o.absStepsize}`,
  );
  const momentum = o.momentum ?? 0;
  assertArg(
    momentum >= 0 && Number.isFinite(momentum),
    () => `${name}: momentum must be >= 0, got ${momentum}`,
  );
  return {
    name,
    distance,
    steps,
    relStepsize: rel,
    absStepsize: o.absStepsize,
    randomStart: o.randomStart ?? defaults.randomStart,
    restarts,
    earlyStop: o.earlyStop ?? true,
    momentum,
  };
}

/** A fixed-epsilon attack running the projected gradient loop once per eps. */
export function gradientDescentAttack(o: Resolved): FixedEpsilonAttack {
  return {
    kind: "fixed-epsilon",
    name: o.name,
    distance: o.distance,
    iterative: o.steps > 1,
    run: (batch, epsilons) => {
      const first = epsilons.findIndex((e) => e > 0); // gradient statistics once per batch
      return epsilons.map((eps, k) => attackAtEps(o, batch, eps, k === first));
    },
  };
}

/** The update transform: (momentum on L1-normalised gradients) -> sign (L-inf) -> step size. */
export function updateTransform(o: Resolved, stepsize: number): AnyTransform<tf.Tensor> {
  const parts: AnyTransform<tf.Tensor>[] = [];
  if (o.momentum > 0) parts.push(trace({ decay: o.momentum }, tensorOps));
  if (o.distance === "linf") parts.push(scaleBySign(tensorOps));
  parts.push(scaleByLearningRate(stepsize, { flipSign: false }, tensorOps)); // ascent: the loss must rise
  return chain(...parts);
}

/** The gradient as the transform expects it: L1-normalised per sample for momentum (MI-FGSM), L2-normalised for L2. */
function direction(o: Resolved, grad: tf.Tensor): tf.Tensor {
  if (o.momentum > 0) return normalizePerSample(grad, "l1");
  if (o.distance === "l2") return normalizePerSample(grad, "l2");
  return grad;
}

export function project(
  o: Resolved,
  x: tf.Tensor,
  x0: tf.Tensor,
  eps: number,
  bounds: readonly [number, number],
): tf.Tensor {
  if (o.distance === "linf")
    return projectLinfBallBox(x, x0, eps, bounds[0], bounds[1], undefined, tensorOps);
  return projectToBallAndBounds(x, x0, eps, "l2", bounds);
}

/** A uniformly random point of the eps-ball around x0 (L-inf: per coordinate; L2: direction x radius u^(1/d)), clipped to the bounds. */
export function randomStart(
  x0: tf.Tensor,
  eps: number,
  distance: Distance,
  bounds: readonly [number, number],
  seed: number,
): tf.Tensor {
  return tf.tidy(() => {
    if (distance === "linf")
      return tf.clipByValue(
        tf.add(x0, tf.randomUniform(x0.shape, -eps, eps, "float32", seed)),
        bounds[0],
        bounds[1],
      );
    const d = x0.size / x0.shape[0]!;
    const dir = normalizePerSample(tf.randomNormal(x0.shape, 0, 1, "float32", seed), "l2");
    const r = tf.mul(tf.pow(tf.randomUniform([x0.shape[0]!], 0, 1, "float32", seed + 1), 1 / d), eps);
    return tf.clipByValue(tf.add(x0, tf.mul(dir, perSample(r, x0))), bounds[0], bounds[1]);
  });
}

/** Gathers the rows `keep` of every batch-sized tensor in an optimiser state (arrays and objects walked). */
function gatherState(state: unknown, n: number, keep: tf.Tensor1D): unknown {
  if (state instanceof tf.Tensor)
    return state.rank > 0 && state.shape[0] === n ? tf.gather(state, keep) : state.clone();
  if (Array.isArray(state)) return state.map((s) => gatherState(s, n, keep));
  if (state !== null && typeof state === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state)) out[k] = gatherState(v, n, keep);
    return out;
  }
  return state;
}

function tensorsIn(state: unknown, into: tf.Tensor[] = []): tf.Tensor[] {
  if (state instanceof tf.Tensor) into.push(state);
  else if (Array.isArray(state)) for (const s of state) tensorsIn(s, into);
  else if (state !== null && typeof state === "object")
    for (const v of Object.values(state)) tensorsIn(v, into);
  return into;
}

/** Disposes the tensors of an optimiser state `old` that the next state does not also hold. */
export function disposeReplaced(old: unknown, next: unknown): void {
  const keep = new Set(tensorsIn(next));
  for (const t of tensorsIn(old)) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

/** Writes rows of `src` ([m, ...]) into `dst` (flat [n * d]) at batch rows `rows`. */
function writeRows(
  dst: Float32Array,
  d: number,
  src: tf.Tensor,
  rows: ArrayLike<number>,
  which?: ArrayLike<number>,
): void {
  const data = src.dataSync();
  const pick = which ?? Array.from({ length: rows.length }, (_, i) => i);
  for (let i = 0; i < pick.length; i++) dst.set(data.subarray(pick[i]! * d, pick[i]! * d + d), rows[i]! * d);
}

/** The projected gradient loop at one eps over one batch; returns the adversarial (or best) inputs. */
function attackAtEps(o: Resolved, batch: AttackBatch, eps: number, recordStats: boolean): tf.Tensor {
  const { model, x, criterion, stats } = batch;
  const n = x.shape[0]!;
  const d = x.size / n;
  const bounds = model.bounds;
  const result = Float32Array.from(x.dataSync());
  const found = new Uint8Array(n);
  const bestLoss = new Float64Array(n).fill(-Infinity);
  if (eps === 0) return tf.tensor(result, x.shape); // nothing to search; and no gradient statistics from a non-step
  const stepsize = o.absStepsize ?? o.relStepsize * eps;
  const transform = updateTransform(o, stepsize);
  const plainLinf = o.distance === "linf" && o.momentum === 0; // PGD, BIM: sign, step size, projection
  let firstStats = recordStats;

  for (let restart = 0; restart < o.restarts; restart++) {
    let rows = Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => !found[i]));
    if (rows.length === 0) break;
    let x0 = tf.tidy(() => tf.gather(x, tf.tensor1d(rows, "int32")));
    let crit: Criterion = subset(criterion, rows);
    let xa = o.randomStart
      ? randomStart(x0, eps, o.distance, bounds, batch.seed + 7919 * restart)
      : x0.clone();
    let state: unknown = transform.init(xa);
    let lossFirst: Float32Array | undefined;
    for (let step = 0; step <= o.steps; step++) {
      const last = step === o.steps;
      // The gradient at xa also gives the logits at xa: check the criterion before stepping.
      const out = tf.tidy(() => {
        if (last) {
          // The final check needs the logits only: a forward pass, no gradient.
          const logits = model.logits(xa);
          return { adv: crit.isAdversarial(logits), loss: adversarialLoss(logits, crit) };
        }
        const g = adversarialGradient(model, xa, crit);
        const adv = crit.isAdversarial(g.logits);
        if (plainLinf) {
          // Sign, step and projection in one pass (the transform's state, a step count, is unused here).
          const next = linfSignStep(xa, g.grad, x0, stepsize, eps, bounds[0], bounds[1]);
          return { adv, loss: g.loss, grad: g.grad, next, state: state as tf.TensorContainer };
        }
        const [u, s] = transform.update(direction(o, g.grad), state as never);
        const next = project(o, tf.add(xa, u), x0, eps, bounds);
        return { adv, loss: g.loss, grad: g.grad, next, state: s as unknown as tf.TensorContainer };
      }) as { adv: tf.Tensor; loss: tf.Tensor; grad?: tf.Tensor; next?: tf.Tensor; state?: unknown };
      if (out.grad) {
        stats.gradientEvaluations += 1;
        if (firstStats) recordGradientStats(stats, out.grad);
        firstStats = false;
        out.grad.dispose();
      }
      const adv = out.adv.dataSync() as Uint8Array;
      const loss = out.loss.dataSync() as Float32Array;
      if (step === 0 && restart === 0) lossFirst = Float32Array.from(loss);
      out.adv.dispose();
      out.loss.dispose();
      const hit: number[] = [];
      const miss: number[] = [];
      for (let i = 0; i < rows.length; i++) (adv[i] ? hit : miss).push(i);
      if (hit.length > 0 && (o.earlyStop || last)) {
        writeRows(
          result,
          d,
          xa,
          hit.map((i) => rows[i]!),
          hit,
        );
        for (const i of hit) found[rows[i]!] = 1;
      }
      if (last) {
        // Not adversarial: keep the attempt with the highest loss across restarts.
        const better = miss.filter((i) => loss[i]! > bestLoss[rows[i]!]!);
        writeRows(
          result,
          d,
          xa,
          better.map((i) => rows[i]!),
          better,
        );
        for (const i of better) bestLoss[rows[i]!] = loss[i]!;
        if (restart === 0 && lossFirst) {
          for (let i = 0; i < rows.length; i++) {
            stats.lossFirst += lossFirst[i]!;
            stats.lossLast += loss[i]!;
          }
          stats.lossSamples += rows.length;
        }
        tf.dispose([xa, x0]);
        disposeReplaced(state, undefined);
        break;
      }
      const next = out.next!;
      const nextState = out.state;
      tf.dispose(xa);
      disposeReplaced(state, nextState);
      xa = next;
      state = nextState;
      if (o.earlyStop && hit.length > 0) {
        if (restart === 0 && lossFirst) {
          // Inputs leaving the loop count their loss at the step they became adversarial.
          for (const i of hit) {
            stats.lossFirst += lossFirst[i]!;
            stats.lossLast += loss[i]!;
          }
          stats.lossSamples += hit.length;
          lossFirst = Float32Array.from(miss.map((i) => lossFirst![i]!));
        }
        if (miss.length === 0) {
          tf.dispose([xa, x0]);
          disposeReplaced(state, undefined);
          break;
        }
        const keep = tf.tensor1d(Int32Array.from(miss), "int32");
        const m = rows.length;
        const [xk, x0k] = [tf.gather(xa, keep), tf.gather(x0, keep)];
        const sk = gatherState(state, m, keep);
        tf.dispose([xa, x0, keep]);
        disposeReplaced(state, undefined);
        xa = xk;
        x0 = x0k;
        state = sk;
        rows = Int32Array.from(miss.map((i) => rows[i]!));
        crit = subset(criterion, rows);
      }
    }
  }
  return tf.tensor(result, x.shape);
}

/** The criterion restricted to the given rows of the batch. */
export function subset(criterion: Criterion, rows: Int32Array): Criterion {
  return criterion.withLabels(Int32Array.from(rows, (r) => criterion.labels[r]!));
}
