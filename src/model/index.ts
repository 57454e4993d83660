/**
 * Model files: YAML -> a compiled DDE problem, cost and user gradient (see the contract, section 1), plus thin
 * convenience wrappers over the DDE layer.
 */
export { loadModel, compileModel, type CompiledModel, type DelayInfo } from "./compile.js";
export {
  readModelSpec,
  type ModelSpec,
  type ModelInput,
  type ExprSource,
  type CostTermSpec,
} from "./load.js";
export { parseObservations, type Observations } from "./csv.js";
export { setModelParams } from "./save.js";
export {
  solveModel,
  modelGradient,
  prepareModel,
  fitModelFile,
  type FitModelFileOptions,
  type FitModelFileResult,
  type ModelRunOptions,
  type SolveModelOptions,
  type SolveModelResult,
  type ModelGradientOptions,
  type ModelGradientResult,
  type ModelGradientCheck,
} from "./run.js";
export * as modelExpr from "./expr/index.js";
