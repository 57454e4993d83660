/**
 * Attacks run here, off the main thread: TensorFlow.js (WebGL, else wasm, else cpu) with the bundled classifier,
 * wrapped and attacked by the library (src/attack: TfjsClassifier, fgsm/bim/pgd/..., run). One worker serves the live
 * single-image view; a second computes robust-accuracy curves. Only the probability bars are computed here directly
 * (softmax of the wrapper's logits), because run() reports the top class and the true class, not all ten.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { initBrowserBackend, rendererSeen, tf } from "../tf-browser.js";
import { serve } from "../workers/rpc.js";
import type { Attack } from "../../attack/base.js";
import type { TfjsClassifier } from "../../attack/model.js";
import type { RunOptions, AttackResult } from "../../attack/run.js";
import type { AttackReply, AttackRequest, InitReply, InitRequest, RobustProgress, RobustReply, RobustRequest } from "./types.js";

interface AttackLib {
  TfjsClassifier: { load(path: string, options?: { classNames?: string[]; batchSize?: number }): Promise<TfjsClassifier> };
  run(model: TfjsClassifier, inputs: tfTypes.Tensor, labels: ArrayLike<number>, attack: Attack, options: RunOptions): Promise<AttackResult>;
  [factory: string]: unknown;
}

const attackModules = import.meta.glob<AttackLib>("../../attack/index.ts");

/** The attacks offered, by the library's factory names; those a build lacks are left out. */
const CATALOGUE: { name: string; factory: string; iterative: boolean; label: string }[] = [
  { name: "fgsm", factory: "fgsm", iterative: false, label: "FGSM (one signed step)" },
  { name: "bim", factory: "bim", iterative: true, label: "BIM (iterative FGSM)" },
  { name: "pgd", factory: "pgd", iterative: true, label: "PGD (random start)" },
  { name: "mifgsm", factory: "miFgsm", iterative: true, label: "MI-FGSM (momentum)" },
  { name: "fgm", factory: "fgm", iterative: false, label: "FGM (L2 step)" },
];

interface State {
  lib: AttackLib;
  model: TfjsClassifier;
  backend: string;
  classes: string[];
  samples: { n: number; size: number; pixels: Uint8Array; labels: Uint8Array; shape: number[] };
}

let state: Promise<State> | undefined;

async function setup(req: InitRequest): Promise<State> {
  const loader = attackModules["../../attack/index.ts"];
  if (!loader) throw new Error("the attack library (src/attack) has not landed in this build");
  const [lib, backend, meta, bin] = await Promise.all([
    loader(),
    initBrowserBackend(req.wasmBase, req.backend),
    fetch(new URL("samples.json", req.samplesUrl)).then((r) => {
      if (!r.ok) throw new Error(`samples.json: HTTP ${r.status}`);
      return r.json() as Promise<{ n: number; height: number; width: number; channels: number; classes: string[] }>;
    }),
    fetch(new URL("samples.bin", req.samplesUrl)).then(async (r) => {
      if (!r.ok) throw new Error(`samples.bin: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    }),
  ]);
  const head = await fetch(req.modelUrl, { method: "HEAD" });
  if (!head.ok) throw new Error(`the bundled classifier is missing from this build (${new URL(req.modelUrl).pathname}: HTTP ${head.status})`);
  const model = await lib.TfjsClassifier.load(req.modelUrl, { classNames: meta.classes, batchSize: 50 });
  const size = meta.height * meta.width * meta.channels;
  return {
    lib,
    model,
    backend,
    classes: model.classNames,
    samples: { n: meta.n, size, pixels: bin.subarray(0, meta.n * size), labels: bin.subarray(meta.n * size), shape: [meta.height, meta.width, meta.channels] },
  };
}

function makeAttack(lib: AttackLib, name: string, steps: number, reverse: boolean): Attack {
  if (reverse) {
    const factory = lib.reverseStep as (() => Attack) | undefined;
    if (typeof factory !== "function") throw new Error("the reverse step is not in this build's attack library");
    return factory();
  }
  const entry = CATALOGUE.find((c) => c.name === name);
  const factory = entry && (lib[entry.factory] as ((o?: { steps?: number }) => Attack) | undefined);
  if (!entry || typeof factory !== "function") throw new Error(`unknown attack '${name}'`);
  return entry.iterative ? factory({ steps }) : factory();
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
      attacks: CATALOGUE.filter((c) => typeof s.lib[c.factory] === "function").map(({ name, iterative, label }) => ({ name, iterative, label })),
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
    const attack = makeAttack(s.lib, req.attack, req.steps, reverse);
    const options: RunOptions = { epsilons: [req.eps], sanity: false };
    if (req.mode === "targeted") options.targeted = req.target;
    const result = await s.lib.run(s.model, x, [req.label], attack, options);
    try {
      const adv = result.results[0]!.clipped;
      const adversarial = (await adv.data()) as Float32Array;
      const stats = result.stats;
      return {
        adversarial: Float32Array.from(adversarial),
        cleanProbs: probabilities(s.model, x),
        advProbs: probabilities(s.model, adv),
        linf: result.results[0]!.maxLinf,
        zeroGradFraction: stats.gradientEntries > 0 ? stats.zeroGradientEntries / stats.gradientEntries : undefined,
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
        const attack = makeAttack(s.lib, name, req.steps, false);
        const result = await s.lib.run(s.model, x, labels, attack, {
          epsilons: req.epsilons,
          onProgress: (done, total) => progress({ attack: name, done, total }),
        });
        cleanAccuracy = result.clean.accuracy;
        curves.push({ attack: name, points: result.results.map((r) => ({ eps: r.eps, accuracy: r.accuracy, attackSuccessRate: r.attackSuccessRate })) });
        result.dispose();
      }
    } finally {
      x.dispose();
    }
    return { count: n, cleanAccuracy, curves, ms: performance.now() - start };
  },
});
