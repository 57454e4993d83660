import { describe, expect, it } from "vitest";
import {
  chain,
  projectBox,
  projectL2Ball,
  projectL2BallBox,
  projectLinfBall,
  projectLinfBallBox,
  scaleByLearningRate,
  scaleBySign,
} from "./index.js";

const F = (...v: number[]) => Float64Array.from(v);
const close = (a: ArrayLike<number>, b: number[], digits = 12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i]!, digits);
};

describe("projections, checked against hand-computed values", () => {
  it("box with scalar and vector bounds, new array or in place", () => {
    const x = F(-1, 0.5, 2);
    close(projectBox(x, 0, 1), [0, 0.5, 1]);
    close(x, [-1, 0.5, 2]); // not modified without out
    close(projectBox(x, F(-2, 0.6, 0), F(0, 1, 1.5)), [-1, 0.6, 1.5]);
    const y = projectBox(x, 0, undefined, x);
    expect(y).toBe(x);
    close(x, [0, 0.5, 2]);
  });

  it("L-inf ball", () => {
    close(projectLinfBall(F(0.5, 0.9, 0.25), F(0.5, 0.5, 0.5), 0.1), [0.5, 0.6, 0.4]);
  });

  it("L2 ball: inside unchanged, outside scaled to the sphere", () => {
    close(projectL2Ball(F(1, 1), F(0, 0), 2), [1, 1]);
    close(projectL2Ball(F(3, 4), F(0, 0), 1), [0.6, 0.8]);
    close(projectL2Ball(F(4, 5), F(1, 1), 2.5), [1 + 1.5, 1 + 2]);
    expect(() => projectL2Ball(F(1), F(0), -1)).toThrow(/radius/);
  });

  it("L-inf ball clipped to [0, 1]", () => {
    close(projectLinfBallBox(F(1.2, -0.3, 0.5), F(0.95, 0.02, 0.5), 0.1, 0, 1), [1, 0, 0.5]);
  });

  it("L2 ball ∩ box: exact projection, checked against KKT by hand", () => {
    // centre (0, 0), radius 1, box x2 ≤ 0.5: projecting (2, 2) gives (sqrt(1 - 0.25), 0.5).
    const z = projectL2BallBox(F(2, 2), F(0, 0), 1, -10, F(10, 0.5));
    close(z, [Math.sqrt(0.75), 0.5], 10);
    // inside both: unchanged; only the box active: the clamp
    close(projectL2BallBox(F(0.2, 0.9), F(0, 0), 1, -10, F(10, 0.5)), [0.2, 0.5]);
    const x = F(2, 2);
    projectL2BallBox(x, F(0, 0), 1, -10, F(10, 0.5), x);
    close(x, [Math.sqrt(0.75), 0.5], 10);
  });

  it("sign steps + L-inf projection stay inside the ball exactly", () => {
    const c = F(0.3, 0.7, 0.5, 0.01);
    const eps = 0.03;
    const t = chain(scaleBySign(), scaleByLearningRate(0.0123, { flipSign: false }));
    let s = t.init(c);
    const x = Float64Array.from(c);
    const g = new Float64Array(4);
    for (let k = 0; k < 50; k++) {
      for (let i = 0; i < 4; i++) g[i] = Math.sin(17 * k + i) + 0.3; // an arbitrary ascent direction
      let u: Float64Array;
      [u, s] = t.update(g, s, x);
      for (let i = 0; i < 4; i++) x[i] += u[i]!;
      projectLinfBallBox(x, c, eps, 0, 1, x);
      for (let i = 0; i < 4; i++) {
        expect(Math.abs(x[i]! - c[i]!)).toBeLessThanOrEqual(eps);
        expect(x[i]).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
