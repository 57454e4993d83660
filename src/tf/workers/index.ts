// Worker threads: one tfjs backend per core for evaluation, attacks and data-parallel training.
export { ModelWorkerPool, shardRanges, type PoolOptions } from "./pool.js";
export type { AdversarialSpec } from "./protocol.js";
