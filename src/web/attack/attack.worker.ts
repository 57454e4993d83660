/**
 * Attacks run here, off the main thread: TensorFlow.js (WebGL, else wasm, else cpu) with the bundled classifier,
 * wrapped and attacked by the library (src/attack: TfjsClassifier, fgsm/bim/pgd/..., run). One worker serves the live
 * single-image view; a second computes robust-accuracy curves. Only the probability bars are computed here directly
 * (softmax of the wrapper's logits), because run() reports the top class and the true class, not all ten.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { initBrowserBackend, rendererSeen, tf } from "../tf-browser.js";
import { serve } from "../workers/rpc.js";
import {
  bim,
  fgm,
  fgsm,
  miFgsm,
  pgd,
  reverseStep,
  run,
  TfjsClassifier,
  type Attack,
  type RunOptions,
} from "../../attack/index.js";
import type {
  AttackReply,
  AttackRequest,
  InitReply,
  InitRequest,
  RobustProgress,
  RobustReply,
  RobustRequest,
} from "./types.js";

/** The attacks offered (the library's factories). */
const CATALOGUE: { name: string; iterative: boolean; label: string; make: (steps: number) => Attack }[] = [
  { name: "fgsm", iterative: false, label: "FGSM (one signed step)", make: () => fgsm() },
  { name: "bim", iterative: true, label: "BIM (iterative FGSM)", make: (steps) => bim({ steps }) },
  { name: "pgd", iterative: true, label: "PGD (random start)", make: (steps) => pgd({ steps }) },
  { name: "mifgsm", iterative: true, label: "MI-FGSM (momentum)", make: (steps) => miFgsm({ steps }) },
  { name: "fgm", iterative: false, label: "FGM (L2 step)", make: () => fgm() },
];

interface State {
  model: TfjsClassifier;
  backend: string;
  classes: string[];
  samples: { n: number; size: number; pixels: Uint8Array; labels: Uint8Array; shape: number[] };
}

let state: Promise<State> | undefined;

async function setup(req: InitRequest): Promise<State> {
  const [backend, meta, bin] = await Promise.all([
    initBrowserBackend(req.wasmBase, req.backend),
    fetch(new URL("samples.json", req.samplesUrl)).then((r) => {
      if (!r.ok) throw new Error(`samples.json: HTTP ${r.status}`);
      return r.json() as Promise<{
        n: number;
        height: number;
        width: number;
        channels: number;
        classes: string[];
      }>;
    }),
    fetch(new URL("samples.bin", req.samplesUrl)).then(async (r) => {
      if (!r.ok) throw new Error(`samples.bin: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    }),
  ]);
  const head = await fetch(req.modelUrl, { method: "HEAD" });
  if (!head.ok)
    throw new Error(
      `the bundled classifier (models/fashion-cnn/) is not in this build (HTTP ${head.status})`,
    );
  const model = await TfjsClassifier.load(req.modelUrl, { classNames: meta.classes, batchSize: 50 });
  const size = meta.height * meta.width * meta.channels;
  return {
    model,
    backend,
    classes: model.classNames,
    samples: {
      n: meta.n,
      size,
      pixels: bin.subarray(0, meta.n * size),
      labels: bin.subarray(meta.n * size),
      shape: [meta.height, meta.width, meta.channels],
    },
  };
}

function makeAttack(name: string, steps: number, reverse: boolean): Attack {
  if (reverse) return reverseStep();
  const entry = CATALOGUE.find((c) => c.name === name);
  if (!entry) throw new Error(`unknown attack '${name}' (known: ${CATALOGUE.map((c) => c.name).join(", ")})`);
  return entry.make(steps);
}

function probabilities(model: TfjsClassifier, x: tfTypes.Tensor): Float32Array {
  return tf.tidy(() => tf.softmax(model.logits(x)).dataSync() as Float32Array).slice();
}

serve({
  async init(req: InitRequest): Promise<InitReply> {
    state ??= setup(req);
    let s: State;
    try {
      s = await state;
    } catch (err) {
      state = undefined;
      throw err;
    }
    return {
      backend: s.backend,
      renderer: rendererSeen,
      inputShape: s.samples.shape,
      numClasses: s.model.numClasses,
      classes: s.classes,
      attacks: CATALOGUE.map(({ name, iterative, label }) => ({ name, iterative, label })),
      samples: s.samples.n,
      modelName: "fashion-cnn",
    };
  },

  async predict(req: { image: Float32Array }): Promise<{ probs: Float32Array }> {
    const s = await state!;
    const x = tf.tensor(req.image, [1, ...s.samples.shape]);
    try {
      return { probs: probabilities(s.model, x) };
    } finally {
      x.dispose();
    }
  },

  async attack(req: AttackRequest): Promise<AttackReply> {
    const s = await state!;
    const start = performance.now();
    const x = tf.tensor(req.image, [1, ...s.samples.shape]);
    const reverse = req.mode === "reverse";
    const attack = makeAttack(req.attack, req.steps, reverse);
    const options: RunOptions = { epsilons: [req.eps], sanity: false };
    if (req.mode === "targeted") options.targeted = req.target;
    const result = await run(s.model, x, [req.label], attack, options);
    try {
      const adv = result.results[0]!.clipped;
      const adversarial = (await adv.data()) as Float32Array;
      const stats = result.stats;
      return {
        adversarial: Float32Array.from(adversarial),
        cleanProbs: probabilities(s.model, x),
        advProbs: probabilities(s.model, adv),
        linf: result.results[0]!.maxLinf,
        zeroGradFraction:
          stats.gradientEntries > 0 ? stats.zeroGradientEntries / stats.gradientEntries : undefined,
        ms: performance.now() - start,
      };
    } finally {
      result.dispose();
      x.dispose();
    }
  },

  async robust(req: RobustRequest, progress: (p: RobustProgress) => void): Promise<RobustReply> {
    const s = await state!;
    const start = performance.now();
    const n = Math.min(req.count, s.samples.n);
    const pixels = new Float32Array(n * s.samples.size);
    for (let i = 0; i < pixels.length; i++) pixels[i] = s.samples.pixels[i]! / 255;
    const x = tf.tensor(pixels, [n, ...s.samples.shape]);
    const labels = s.samples.labels.subarray(0, n);
    const curves: RobustReply["curves"] = [];
    let cleanAccuracy = NaN;
    try {
      for (const name of req.attacks) {
        const attack = makeAttack(name, req.steps, false);
        const result = await run(s.model, x, labels, attack, {
          epsilons: req.epsilons,
          onProgress: (done, total) => progress({ attack: name, done, total }),
        });
        cleanAccuracy = result.clean.accuracy;
        curves.push({
          attack: name,
          points: result.results.map((r) => ({
            eps: r.eps,
            accuracy: r.accuracy,
            attackSuccessRate: r.attackSuccessRate,
          })),
        });
        result.dispose();
      }
    } finally {
      x.dispose();
    }
    return { count: n, cleanAccuracy, curves, ms: performance.now() - start };
  },
});
