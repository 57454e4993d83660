/**
 * DeepFool (L2 or L-inf): linearise the classifier around the current point and step to the nearest linearised
 * decision boundary among the `candidates` most likely classes, accumulating the steps, with a small overshoot.
 * Untargeted only. Inputs that become adversarial stop (and leave the batch, so later steps cost less). Run once,
 * clipped to every eps.
 * @see Moosavi-Dezfooli, Fawzi, Frossard (2016), DeepFool: a simple and accurate method to fool deep neural networks.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import type { MinimizationAttack } from "./base.js";
import { perSample, sampleNorms, type Distance } from "./distances.js";
import { lossAndGradient } from "./loss.js";

export interface DeepFoolOptions {
  /** Maximum linearisation steps (default 50). */
  steps?: number;
  /** Classes considered: the k most likely at the clean input (default 10). */
  candidates?: number;
  /** Final perturbation scale 1 + overshoot (default 0.02). */
  overshoot?: number;
  distance?: Distance;
}

export function deepFool(options: DeepFoolOptions = {}): MinimizationAttack {
  const steps = options.steps ?? 50;
  const overshoot = options.overshoot ?? 0.02;
  const distance = options.distance ?? "l2";
  assertArg(
    Number.isInteger(steps) && steps >= 1,
    () => `deepfool: steps must be a positive integer, got ${steps}`,
  );
  assertArg(overshoot >= 0, () => `deepfool: overshoot must be >= 0, got ${overshoot}`);
  return {
    kind: "minimization",
    name: distance === "l2" ? "deepfool" : "linf-deepfool",
    distance,
    iterative: true,
    run(batch) {
      const { model, x, criterion, stats } = batch;
      assertArg(
        criterion.kind === "misclassification",
        () =>
          "deepfool is an untargeted attack: use the misclassification criterion (no --targeted, no top-k)",
      );
      const n = x.shape[0]!;
      const d = x.size / n;
      const classes = model.numClasses;
      const k = Math.min(options.candidates ?? 10, classes);
      assertArg(k >= 2, () => `deepfool: needs at least 2 candidate classes, got ${k}`);
      const labels = criterion.labels;
      // Candidate classes per input, most likely first (at the clean input), the true label excluded.
      const ranked = tf.tidy(() => tf.topk(model.logits(x), classes).indices.dataSync() as Int32Array);
      const candidates: Int32Array[] = [];
      for (let i = 0; i < n; i++) {
        const row = Array.from(ranked.subarray(i * classes, (i + 1) * classes)).filter(
          (c) => c !== labels[i],
        );
        candidates.push(Int32Array.from(row.slice(0, k - 1)));
      }
      const result = Float32Array.from(x.dataSync());
      let rows = Int32Array.from({ length: n }, (_, i) => i);
      let x0 = x.clone();
      let total = tf.zerosLike(x);
      let xa = x.clone();
      for (let step = 0; step <= steps && rows.length > 0; step++) {
        const lab = Int32Array.from(rows, (r) => labels[r]!);
        // One gradient per candidate rank: f_j = z_cand - z_label (negative while the label wins).
        const losses: tf.Tensor1D[] = [];
        const grads: tf.Tensor[] = [];
        let adv: Uint8Array | undefined;
        for (let j = 0; j < k - 1; j++) {
          const cand = Int32Array.from(rows, (r) => candidates[r]![j]!);
          const g = tf.tidy(() => {
            const out = lossAndGradient(model, xa, (logits) => {
              const z = (c: Int32Array) =>
                tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(c, "int32"), classes)), 1);
              return tf.sub(z(cand), z(lab)) as tf.Tensor1D;
            });
            return {
              ...out,
              adv: j === 0 ? criterion.withLabels(lab).isAdversarial(out.logits) : tf.zeros([0]),
            };
          });
          stats.gradientEvaluations += 1;
          if (j === 0) adv = Uint8Array.from(g.adv.dataSync());
          losses.push(g.loss);
          grads.push(g.grad);
          tf.dispose([g.logits, g.adv]);
        }
        // Record and drop the inputs that are adversarial now.
        const done: number[] = [];
        const live: number[] = [];
        for (let i = 0; i < rows.length; i++) (adv![i] ? done : live).push(i);
        if (done.length > 0) {
          const data = xa.dataSync();
          for (const i of done) result.set(data.subarray(i * d, i * d + d), rows[i]! * d);
        }
        if (live.length === 0 || step === steps) {
          if (step === steps && live.length > 0) {
            const data = xa.dataSync();
            for (const i of live) result.set(data.subarray(i * d, i * d + d), rows[i]! * d);
          }
          tf.dispose([...losses, ...grads]);
          break;
        }
        const next = tf.tidy(() => {
          // Distance to each linearised boundary; step to the nearest.
          const norm = distance === "l2" ? "l2" : "l1";
          const dist = tf.stack(
            losses.map((l, j) => tf.div(tf.abs(l), tf.add(sampleNorms(grads[j]!, norm), 1e-8))),
            1,
          );
          const bestIdx = tf.argMin(dist, 1);
          const onehot = tf.oneHot(bestIdx, losses.length);
          const pick = (ts: tf.Tensor[]) => {
            const stacked = tf.stack(ts, 1);
            const mask = tf.reshape(onehot, [
              stacked.shape[0]!,
              ts.length,
              ...new Array<number>(stacked.rank - 2).fill(1),
            ]);
            return tf.sum(tf.mul(stacked, mask), 1);
          };
          const f = pick(losses);
          const g = pick(grads);
          const gNorm = sampleNorms(g, norm);
          const size = tf.div(
            tf.add(tf.abs(f), 1e-4),
            tf.add(distance === "l2" ? tf.square(gNorm) : gNorm, 1e-8),
          );
          const dir = distance === "l2" ? g : tf.sign(g);
          const stepDelta = tf.mul(perSample(size, dir), dir);
          const keep = tf.tensor1d(Int32Array.from(live), "int32");
          const totalLive = tf.add(tf.gather(total, keep), tf.gather(stepDelta, keep));
          const x0Live = tf.gather(x0, keep);
          const xNext = tf.clipByValue(
            tf.add(x0Live, tf.mul(totalLive, 1 + overshoot)),
            model.bounds[0],
            model.bounds[1],
          );
          return { totalLive, x0Live, xNext };
        });
        tf.dispose([...losses, ...grads, total, x0, xa]);
        total = next.totalLive;
        x0 = next.x0Live;
        xa = next.xNext;
        rows = Int32Array.from(live, (i) => rows[i]!);
      }
      tf.dispose([total, x0, xa]);
      return tf.tensor(result, x.shape);
    },
  };
}
