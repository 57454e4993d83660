/**
 * gradopt/optim: composable first-order transforms (Optax style), projections, and the minimisers.
 * Transforms and projections are generic over `VectorOps<V>`; `float64Ops` is the Float64Array implementation.
 */
export { type VectorOps, float64Ops } from "./vectorOps.js";
export * from "./transforms/index.js";
export * from "./aliases/index.js";
export * from "./schedules.js";
export * from "./projections.js";
