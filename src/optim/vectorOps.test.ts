import { describe, expect, it } from "vitest";
import {
  adam,
  float64Ops,
  momentum,
  projectL2Ball,
  projectL2BallBox,
  projectLinfBallBox,
  rmsprop,
  signSgd,
  type AnyTransform,
  type VectorOps,
} from "./index.js";

/**
 * An immutable VectorOps over plain arrays that ignores `out`, as the TensorFlow.js one does: the transforms and
 * projections must give the same numbers with it as with the in-place Float64Array ops (tensor-readiness).
 */
type Vec = readonly number[];
const map2 = (x: Vec, y: Vec, f: (a: number, b: number) => number): Vec => x.map((a, i) => f(a, y[i]!));
const at = (b: Vec | number, i: number) => (typeof b === "number" ? b : b[i]!);
const immutableOps: VectorOps<Vec> = {
  name: "immutable-array",
  size: (x) => x.length,
  zerosLike: (x) => x.map(() => 0),
  clone: (x) => [...x],
  scale: (x, a) => x.map((v) => a * v),
  axpby: (a, x, b, y) => map2(x, y, (u, v) => a * u + b * v),
  axpbySquare: (a, x, b, y) => map2(x, y, (u, v) => a * u + b * v * v),
  rsqrtScale: (x, v, a, b, eps) => map2(x, v, (u, w) => (a * u) / (Math.sqrt(b * w) + eps)),
  mul: (x, y) => map2(x, y, (u, v) => u * v),
  sign: (x) => x.map((v) => Math.sign(v)),
  clamp: (x, lo, hi) => x.map((v, i) => Math.min(Math.max(v, at(lo, i)), at(hi, i))),
  clampAround: (x, c, r) => x.map((v, i) => Math.min(Math.max(v, c[i]! - r), c[i]! + r)),
  dot: (x, y) => x.reduce((s, v, i) => s + v * y[i]!, 0),
  norm2: (x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0)),
  normInf: (x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
  dist2: (x, y) => Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0)),
  distInf: (x, y) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0),
};

describe("float64Ops, by hand", () => {
  const F = (...v: number[]) => Float64Array.from(v);
  it("elementwise ops, in place when out aliases an input", () => {
    const x = F(1, -2, 0);
    expect(Array.from(float64Ops.axpby(2, x, 3, F(1, 1, 1)))).toEqual([5, -1, 3]);
    expect(Array.from(float64Ops.axpbySquare(1, x, 0.5, F(2, 2, 2)))).toEqual([3, 0, 2]);
    expect(Array.from(float64Ops.rsqrtScale(F(2), F(4), 3, 4, 0))).toEqual([1.5]);
    expect(Array.from(float64Ops.sign(x))).toEqual([1, -1, 0]);
    expect(Array.from(float64Ops.clamp(x, F(0, 0, 0), 0.5))).toEqual([0.5, 0, 0]);
    const y = float64Ops.scale(x, -1, x);
    expect(y).toBe(x);
    expect(Array.from(x)).toEqual([-1, 2, -0]);
    expect(float64Ops.dot(F(1, 2), F(3, 4))).toBe(11);
    expect(float64Ops.norm2(F(3, 4))).toBe(5);
    expect(float64Ops.norm2(F(3e200, 4e200))).toBeCloseTo(5e200, -188); // no overflow
    expect(float64Ops.normInf(F(1, -7, 2))).toBe(7);
    expect(float64Ops.normInf(F(1, NaN))).toBeNaN();
    expect(float64Ops.dist2(F(1, 1), F(4, 5))).toBe(5);
    expect(float64Ops.distInf(F(1, 1), F(4, 5))).toBe(4);
  });
});

describe("transforms and projections are generic over VectorOps", () => {
  const run = <V>(
    opt: AnyTransform<V>,
    ops: VectorOps<V>,
    from: (a: number[]) => V,
    toArr: (v: V) => number[],
  ) => {
    // 40 steps on f = Σ (i + 1)(x_i − 1)² / 2
    let x = from([0, 0, 0]);
    let s = opt.init(x);
    for (let k = 0; k < 40; k++) {
      const xs = toArr(x);
      const g = from(xs.map((v, i) => (i + 1) * (v - 1)));
      let u: V;
      [u, s] = opt.update(g, s, x);
      x = ops.axpby(1, x, 1, u);
    }
    return toArr(x);
  };
  const f64 = (a: number[]) => Float64Array.from(a);
  const arr = (a: number[]) => [...a] as Vec;
  it.each<[string, () => AnyTransform, () => AnyTransform<Vec>]>([
    ["adam", () => adam(0.1), () => adam(0.1, {}, immutableOps)],
    [
      "nesterov",
      () => momentum(0.05, { nesterov: true }),
      () => momentum(0.05, { nesterov: true }, immutableOps),
    ],
    ["rmsprop", () => rmsprop(0.05), () => rmsprop(0.05, {}, immutableOps)],
    ["signSgd", () => signSgd(0.03), () => signSgd(0.03, immutableOps)],
  ])("%s gives the same iterates with immutable ops", (_n, mk64, mkArr) => {
    const a = run(mk64(), float64Ops, f64, (v) => Array.from(v));
    const b = run(mkArr(), immutableOps, arr, (v) => [...v]);
    for (let i = 0; i < 3; i++) expect(b[i]).toBeCloseTo(a[i]!, 12);
  });

  it("projections with immutable ops leave the input untouched and agree", () => {
    const x: Vec = [2, 2, -3];
    const c: Vec = [0, 0, 0];
    expect(projectLinfBallBox(x, c, 1, -0.5, 0.5, undefined, immutableOps)).toEqual([0.5, 0.5, -0.5]);
    const p = projectL2Ball(x, c, 1, undefined, immutableOps);
    expect(immutableOps.norm2(p)).toBeCloseTo(1, 14);
    const q = projectL2BallBox(x, c, 1, -10, [10, 0.5, 10], undefined, immutableOps);
    const q64 = projectL2BallBox(
      Float64Array.from(x),
      Float64Array.from(c),
      1,
      -10,
      Float64Array.of(10, 0.5, 10),
    );
    for (let i = 0; i < 3; i++) expect(q[i]).toBeCloseTo(q64[i]!, 12);
    expect(x).toEqual([2, 2, -3]);
  });
});
