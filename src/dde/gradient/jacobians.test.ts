import { describe, expect, it } from "vitest";
import type { DDEProblem, RhsJacobians } from "../types.js";
import { Linearizer } from "./jacobians.js";
import { goodwin } from "./testModels.js";

/** Goodwin's 3-state model, two delays: its dense Jacobians, none (finite differences), or only matrix-free products. */
const dense = goodwin();
const { n } = dense;
const m = dense.delays.length;
const np = dense.p.length;
const plain: DDEProblem = { ...dense, jac: undefined };

/** jvp / vjp written from the dense matrices (what a user with a plain TypeScript RHS may supply). */
function matrixFree(): RhsJacobians {
  const d = dense.jac!;
  const A = new Float64Array(n * n);
  const B = new Float64Array(m * n * n);
  const P = new Float64Array(n * np);
  return {
    jvp: (t, y, z, p, zd, vy, vz, cols, out) => {
      d.dy!(t, y, z, p, A, zd);
      d.dz!(t, y, z, p, B, zd);
      d.dp!(t, y, z, p, P, zd);
      for (let k = 0; k < cols.length; k++)
        for (let i = 0; i < n; i++) {
          let acc = cols[k]! >= 0 ? P[i * np + cols[k]!]! : 0;
          for (let l = 0; l < n; l++) acc += A[i * n + l]! * vy[k * n + l]!;
          for (let j = 0; j < m; j++)
            for (let l = 0; l < n; l++) acc += B[j * n * n + i * n + l]! * vz[k * m * n + j * n + l]!;
          out[k * n + i] = acc;
        }
    },
    vjp: (t, y, z, p, zd, v, outY, outZ, cols, outP) => {
      d.dy!(t, y, z, p, A, zd);
      d.dz!(t, y, z, p, B, zd);
      d.dp!(t, y, z, p, P, zd);
      for (let i = 0; i < n; i++)
        for (let l = 0; l < n; l++) {
          if (outY) outY[l] = outY[l]! + v[i]! * A[i * n + l]!;
          if (outZ)
            for (let j = 0; j < m; j++)
              outZ[j * n + l] = outZ[j * n + l]! + v[i]! * B[j * n * n + i * n + l]!;
        }
      if (outP)
        for (let k = 0; k < cols.length; k++)
          for (let i = 0; i < n; i++) outP[k] = outP[k]! + v[i]! * P[i * np + cols[k]!]!;
    },
  };
}

const t = 0.7;
const y = Float64Array.of(0.8, 0.3, 0.5);
const z = Float64Array.of(0.4, 0.9, 0.6, 0.2, 0.7, 1.1);
const targets = Int32Array.of(0, 3, 4, 7);
const nt = targets.length;
const vy = Float64Array.from({ length: nt * n }, (_, i) => Math.sin(0.3 + i));
const vz = Float64Array.from({ length: nt * m * n }, (_, i) => Math.cos(1 + 2 * i));
const v = Float64Array.of(0.6, -1.1, 0.4);

function products(pr: DDEProblem) {
  const lin = new Linearizer(pr, targets, pr.p);
  const tangent = new Float64Array(nt * n);
  lin.jvp(t, y, z, pr.p, vy, vz, targets, tangent);
  const gy = new Float64Array(n);
  const gz = new Float64Array(m * n);
  const gp = new Float64Array(nt);
  lin.vjp(t, y, z, pr.p, v, gy, gz, gp);
  return { tangent, gy, gz, gp, matrixFree: lin.matrixFree };
}

describe("Linearizer products: matrix-free, dense Jacobians and finite differences agree", () => {
  const ref = products(dense);
  const cases: [string, DDEProblem, number][] = [
    ["jvp/vjp only", { ...dense, jac: matrixFree() }, 1e-14],
    ["no Jacobians (central differences along each direction / per column)", plain, 1e-8],
  ];
  for (const [name, pr, tol] of cases)
    it(name, () => {
      const got = products(pr);
      expect(got.matrixFree).toBe(name.startsWith("jvp"));
      for (const key of ["tangent", "gy", "gz", "gp"] as const)
        got[key].forEach((x, i) =>
          expect(Math.abs(x - ref[key][i]!), `${key}[${i}]`).toBeLessThan(tol * (1 + Math.abs(ref[key][i]!))),
        );
    });

  it("a direction without a parameter column (cols < 0) has no f_p term", () => {
    const lin = new Linearizer(dense, targets, dense.p);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    lin.jvp(t, y, z, dense.p, vy, vz, Int32Array.of(-1), a);
    new Linearizer(plain, targets, dense.p).jvp(t, y, z, dense.p, vy, vz, Int32Array.of(-1), b);
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 8));
  });
});
