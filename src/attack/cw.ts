/**
 * Carlini & Wagner's L2 attack: minimise ||x' - x||² + c · max(margin + kappa, 0) over w, where x' = tanh(w) maps
 * onto the bounds (no clipping needed), with Adam from the optimiser core (scaleByAdam over tensors) and a per-sample
 * binary search over c (exponential until the first success, then bisection). The margin is the true label's logit
 * minus the best other one (untargeted), or the best other minus the target's (targeted). Returns, per input, the
 * smallest adversarial found over all c (the input itself where none was found); run once, clipped to every eps.
 * @see Carlini, Wagner (2017), Towards evaluating the robustness of neural networks.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import { chain, scaleByAdam, scaleByLearningRate } from "../optim/index.js";
import type { MinimizationAttack } from "./base.js";
import { disposeReplaced } from "./gradient-descent.js";
import { sampleAxes } from "./distances.js";
import { logitMargin } from "./loss.js";
import { tensorOps } from "./tensor-ops.js";

export interface CarliniWagnerOptions {
  /** Adam steps per value of c (default 100). */
  steps?: number;
  /** Values of c tried per input (default 6). */
  binarySearchSteps?: number;
  /** Adam's learning rate in tanh space (default 0.02; Foolbox: 0.01 with 10000 steps). */
  stepsize?: number;
  /** kappa: how far past the decision boundary to go (default 0). */
  confidence?: number;
  /** First c (default 1e-2). */
  initialConst?: number;
  /** Stop a c early when the loss stalls (checked every steps/10; default true). */
  abortEarly?: boolean;
}

export function carliniWagnerL2(options: CarliniWagnerOptions = {}): MinimizationAttack {
  const steps = options.steps ?? 100;
  const searches = options.binarySearchSteps ?? 6;
  const lr = options.stepsize ?? 0.02;
  const kappa = options.confidence ?? 0;
  const c0 = options.initialConst ?? 1e-2;
  const abortEarly = options.abortEarly ?? true;
  assertArg(
    Number.isInteger(steps) && steps >= 1,
    () => `cw: steps must be a positive integer, got ${steps}`,
  );
  assertArg(
    Number.isInteger(searches) && searches >= 1,
    () => `cw: binarySearchSteps must be a positive integer, got ${searches}`,
  );
  assertArg(
    lr > 0 && c0 > 0 && kappa >= 0,
    () => "cw: stepsize and initialConst must be > 0, confidence >= 0",
  );
  return {
    kind: "minimization",
    name: "cw",
    distance: "l2",
    iterative: true,
    run(batch) {
      const { model, x, criterion, stats } = batch;
      assertArg(
        criterion.kind !== "top-k",
        () => "cw: the top-k criterion is not supported; use misclassification or a target",
      );
      const n = x.shape[0]!;
      const d = x.size / n;
      const [lo, hi] = model.bounds;
      const mid = (lo + hi) / 2;
      const half = (hi - lo) / 2;
      const toModel = (w: tf.Tensor) => tf.add(tf.mul(tf.tanh(w), half), mid);
      const w0 = tf.tidy(() =>
        tf.atanh(tf.mul(tf.clipByValue(tf.div(tf.sub(x, mid), half), -1, 1), 0.999999)),
      );
      const targeted = criterion.kind === "targeted";
      const best = Float32Array.from(x.dataSync());
      const bestNorm = new Float64Array(n).fill(Infinity);
      const consts = new Float64Array(n).fill(c0);
      const lower = new Float64Array(n);
      const upper = new Float64Array(n).fill(Infinity);
      const axes = sampleAxes(x);
      const optimizer = chain(scaleByAdam({}, tensorOps), scaleByLearningRate(lr, {}, tensorOps));

      for (let search = 0; search < searches; search++) {
        if (search === searches - 1 && searches >= 10)
          for (let i = 0; i < n; i++) if (Number.isFinite(upper[i]!)) consts[i] = upper[i]!;
        const c = tf.tensor1d(Float32Array.from(consts));
        let delta = tf.zerosLike(w0);
        let state: unknown = optimizer.init(delta);
        const found = new Uint8Array(n);
        let previous = Infinity;
        for (let step = 0; step < steps; step++) {
          let kept: tf.Tensor[] = [];
          const out = tf.tidy(() => {
            const { value, grad } = tf.valueAndGrad((dw: tf.Tensor) => {
              const xAdv = toModel(tf.add(w0, dw));
              const logits = model.logits(xAdv);
              const margin = targeted
                ? logitMargin(logits, criterion.labels)
                : tf.neg(logitMargin(logits, criterion.labels));
              const sq = tf.sum(tf.square(tf.sub(xAdv, x)), axes);
              kept = [tf.keep(xAdv), tf.keep(logits), tf.keep(sq)];
              return tf.sum(tf.add(sq, tf.mul(c, tf.relu(tf.add(margin, kappa)))));
            })(delta);
            const [u, s] = optimizer.update(grad, state as never);
            return { value, next: tf.add(delta, u), state: s as unknown as tf.TensorContainer };
          });
          stats.gradientEvaluations += 1;
          const [xAdv, logits, sq] = kept as [tf.Tensor, tf.Tensor2D, tf.Tensor1D];
          const adv = criterion.isAdversarial(logits);
          const advData = adv.dataSync();
          const sqData = sq.dataSync();
          const xData = xAdv.dataSync();
          for (let i = 0; i < n; i++) {
            if (!advData[i]) continue;
            found[i] = 1;
            const norm = Math.sqrt(sqData[i]!);
            if (norm < bestNorm[i]!) {
              bestNorm[i] = norm;
              best.set(xData.subarray(i * d, i * d + d), i * d);
            }
          }
          const loss = out.value.dataSync()[0]!;
          tf.dispose([adv, xAdv, logits, sq, out.value, delta]);
          disposeReplaced(state, out.state);
          delta = out.next;
          state = out.state;
          if (abortEarly && step % Math.ceil(steps / 10) === 0) {
            if (loss > 0.9999 * previous) break;
            previous = loss;
          }
        }
        tf.dispose([c, delta]);
        disposeReplaced(state, undefined);
        for (let i = 0; i < n; i++) {
          if (found[i]) upper[i] = Math.min(upper[i]!, consts[i]!);
          else lower[i] = Math.max(lower[i]!, consts[i]!);
          consts[i] = Number.isFinite(upper[i]!) ? (lower[i]! + upper[i]!) / 2 : consts[i]! * 10;
        }
      }
      w0.dispose();
      return tf.tensor(best, x.shape);
    },
  };
}
