/** Messages between the attack panel and its worker. Images are float32 HWC in [0, 1]. */

export type AttackMode = "untargeted" | "targeted" | "reverse";

export interface InitRequest {
  modelUrl: string;
  samplesUrl: string;
  wasmBase: string;
  backend?: "webgl" | "wasm" | "cpu";
}

export interface InitReply {
  backend: string;
  /** The WebGL renderer, if any (a software one is skipped in favour of wasm). */
  renderer: string | undefined;
  inputShape: number[]; // [h, w, c]
  numClasses: number;
  classes: string[];
  /** Attack names the library offers (fgsm first). */
  attacks: { name: string; iterative: boolean; label: string }[];
  samples: number;
  /** Clean accuracy of the model on the samples (measured when the worker starts). */
  modelName: string;
}

export interface AttackRequest {
  image: Float32Array;
  /** The true class (bundled images) or the model's own prediction (uploads). */
  label: number;
  attack: string;
  eps: number;
  steps: number;
  mode: AttackMode;
  target: number;
}

export interface AttackReply {
  adversarial: Float32Array;
  cleanProbs: Float32Array;
  advProbs: Float32Array;
  linf: number;
  /** Fraction of zero entries in the input gradient sign (a masked or saturated gradient shows up here). */
  zeroGradFraction: number | undefined;
  ms: number;
}

export interface RobustRequest {
  count: number;
  epsilons: number[];
  attacks: string[];
  steps: number;
}

export interface RobustProgress {
  attack: string;
  done: number;
  total: number;
}

export interface RobustReply {
  count: number;
  cleanAccuracy: number;
  curves: { attack: string; points: { eps: number; accuracy: number; attackSuccessRate: number }[] }[];
  ms: number;
}
