/** What the DDE panel needs from the library, in the panel's own words (engine.ts maps the library onto it). */

/** The file name the editor's text has in messages (GradoptError locations carry it). */
export const MODEL_FILE = "model.yaml";

export interface DataSeries {
  state: string;
  t: number[];
  y: number[];
  label: string;
}

export interface ModelView {
  name: string | undefined;
  stateNames: string[];
  paramNames: string[];
  paramValues: number[];
  tspan: [number, number];
  /** Observations from `data:` cost terms (drawn as points). */
  data: DataSeries[];
  hasCost: boolean;
}

export interface SolveView {
  ok: boolean;
  status: string;
  message: string;
  t: Float64Array;
  y: Float64Array[];
  stats: { steps: number; rejected: number; rhsEvals: number };
  ms: number;
  /** The model's cost J at these parameters, and dJ/d(parameter) by the library's exact gradient (models with a cost). */
  cost?: number;
  gradient?: Record<string, number>;
  /** The model's own gradient formulas (its gradient: section) against the exact gradient, per target. */
  check?: Record<string, { user: number; exact: number; relError: number; ok: boolean }>;
  /** Why the cost or gradient is missing when the model has a cost. */
  costError?: string;
}

export interface FitRequest {
  text: string;
  files: Record<string, string>;
  params: Record<string, number>;
  wrt: string[];
  optimizer: string;
  maxIter: number;
  bounds: Record<string, { lower: number; upper: number }>;
}

export interface FitProgress {
  iteration: number;
  cost: number;
  params: Record<string, number>;
}

export interface FitResultView {
  params: Record<string, number>;
  cost: number;
  status: string;
  converged: boolean;
  iterations: number;
  evaluations: number;
  message?: string;
  ms: number;
}

/** A compiled model the page can re-solve with new parameter values. */
export interface CompiledModel {
  view: ModelView;
  solve(params: Record<string, number>, opts?: { rtol?: number; atol?: number; points?: number }): SolveView;
}

export interface DdeEngine {
  compile(text: string, files: Record<string, string>): CompiledModel;
}
