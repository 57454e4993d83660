/** The demo's options and the shape of summary.json (every number in it was measured in this run). */
import type { Report } from "../report/index.js";
import type { ProgressSink } from "./progress.js";

export interface DemoOptions {
  /** Where report.html and summary.json go (default "out"). */
  outDir?: string;
  /** Reduced sizes (fewer images, fewer iterations) for tests and a quick look. */
  quick?: boolean;
  /** Run the parts (both by default). */
  dde?: boolean;
  attack?: boolean;
  /** Classifier directory (TensorFlow.js model.json) for part 2 (default: the bundled models/fashion-cnn). */
  model?: string;
  /** Images for the robust-accuracy curves (default: 300, quick: 64). */
  limit?: number;
  /** Inline images and charts into report.html (default) or write them into report_files/ beside it. */
  inlineAssets?: boolean;
  progress?: ProgressSink;
}

/** A part that could not run says so, with the reason; it never reports made-up numbers. */
export interface Unavailable {
  available: false;
  reason: string;
}

export interface GradientCheckEntry {
  user: number;
  exact: number;
  relError: number;
  ok: boolean;
}

export interface OptimizerRun {
  method: string;
  label: string;
  /** Which gradient the optimiser was given: the user's formulas or the exact one. */
  gradient: "user" | "exact";
  status: string;
  converged: boolean;
  iterations: number;
  evaluations: number;
  initialCost: number;
  cost: number;
  params: Record<string, number>;
  /** Cost after each iteration (index 0 = the start). */
  costHistory: number[];
  gradNorm: number;
  seconds: number;
  message: string;
  /** Per iteration (the main run only). */
  trace?: { iteration: number; cost: number; gradNorm: number; params: Record<string, number> }[] | undefined;
}

export interface DdeSummary {
  available: true;
  model: string;
  states: string[];
  params: Record<string, number>;
  targets: string[];
  tspan: [number, number];
  solve: { status: string; steps: number; rejected: number; rhsEvals: number };
  initialCost: number;
  gradientCheck: { ok: boolean; method: string; entries: Record<string, GradientCheckEntry> };
  /** The main run (the first optimiser, L-BFGS), then the comparison. */
  optimizers: OptimizerRun[];
  findings: {
    formulaMatchesExact: boolean;
    mainConverged: boolean;
    costDecreased: boolean;
  };
}

export interface EpsPrediction {
  eps: number;
  predicted: number;
  predictedName: string;
  confidence: number;
  trueConfidence: number;
  correct: boolean;
}

export interface SampleResult {
  index: number;
  label: number;
  labelName: string;
  zeroGradientFraction: number;
  predictions: EpsPrediction[];
  reverse: { eps: number; trueConfidenceBefore: number; trueConfidenceAfter: number; predictedAfter: string };
}

export interface RobustnessPoint {
  eps: number;
  accuracy: number;
  attackSuccessRate: number;
  meanConfidence: number;
  maxLinf: number;
}

export interface AttackSummary {
  available: true;
  backend: string;
  model: string;
  data: string;
  n: number;
  cleanAccuracy: number;
  sampleEpsilons: number[];
  samples: SampleResult[];
  epsilons: number[];
  robustness: Record<string, { steps: number; points: RobustnessPoint[] }>;
  /** The reverse step applied to every image of the subset. */
  reverseOnSubset: {
    eps: number;
    meanTrueConfidenceBefore: number;
    meanTrueConfidenceAfter: number;
    accuracyAfter: number;
  };
  /** The adversarially trained bundled model under PGD (full mode, when shipped). */
  robustModel?: { model: string; attack: string; steps: number; points: RobustnessPoint[] } | undefined;
  /** Sanity-check warnings of the attack library (gradient masking, zero gradients, ...). */
  warnings: string[];
  findings: {
    accuracyDecreasesWithEps: Record<string, boolean>;
    iterativeAtLeastAsStrong: boolean;
    reverseRaisesConfidence: boolean;
  };
}

export interface DemoSummary {
  gradopt: string;
  createdAt: string;
  quick: boolean;
  /** Wall-clock seconds of the whole run (before writing the report) and of each part. */
  seconds: number;
  timings: { dde?: number; attack?: number };
  dde: DdeSummary | Unavailable | { available: false; reason: "skipped (--no-dde)" };
  attack: AttackSummary | Unavailable;
  files: { report: string; summary: string };
}

export interface PartContext {
  report: Report;
  progress: ProgressSink;
  quick: boolean;
  limit: number | undefined;
  model: string | undefined;
}
