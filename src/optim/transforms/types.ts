import { float64Ops, type VectorOps } from "../vectorOps.js";

/**
 * A gradient transformation in the style of Optax: two pure functions.
 *
 * `init(params)` builds the state; `update(updates, state, params?)` maps incoming updates (at first the gradient)
 * to outgoing updates and returns the next state. Updates are *added* to the parameters (`params += updates`), so a
 * descent recipe ends with `scaleByLearningRate`, which flips the sign.
 *
 * Buffer reuse (documented contract): with `float64Ops` a transform writes its result into the `updates` array it was
 * given and advances the vector buffers of its state in place, so a step allocates nothing. Treat both the incoming
 * `updates` and the incoming `state` as consumed; keep a copy if you need them afterwards. With tensor ops (immutable)
 * the same code returns new tensors and the old state stays valid.
 */
export interface Transform<S, V = Float64Array> {
  init(params: V): S;
  update(updates: V, state: S, params?: V): [V, S];
}

/** Any transform over V, whatever its state. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTransform<V = Float64Array> = Transform<any, V>;

/** A learning rate or other scalar that may follow a schedule of the step count (0-based). */
export type Schedule = (count: number) => number;
export type ScalarOrSchedule = number | Schedule;

export function valueAt(s: ScalarOrSchedule, count: number): number {
  return typeof s === "number" ? s : s(count);
}

/** Default ops: transforms built without an explicit `ops` argument work on Float64Array. */
export function defaultOps<V>(ops: VectorOps<V> | undefined): VectorOps<V> {
  return ops ?? (float64Ops as unknown as VectorOps<V>);
}

/** State of transforms that only count steps. */
export interface CountState {
  readonly count: number;
}

/** The empty state of stateless transforms. */
export type EmptyState = Readonly<Record<string, never>>;
export const EMPTY_STATE: EmptyState = Object.freeze({});
