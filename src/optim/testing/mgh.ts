/**
 * Test problems of Moré, Garbow & Hillstrom (1981), "Testing unconstrained optimization software", ACM TOMS 7(1),
 * written as least squares f(x) = Σ r_i(x)² with analytic Jacobians (so g = 2 Jᵀ r is exact). Numbers in comments
 * are the paper's problem numbers; f* values are the paper's (6 significant digits), x* where the paper gives it.
 */

export interface MghProblem {
  name: string;
  n: number;
  m: number;
  x0: readonly number[];
  /** Minimum value from the paper. */
  fStar: number;
  /** A minimiser, where known exactly or to the digits given. */
  xStar?: readonly number[];
  /** Another local minimum value that a local method may legitimately reach from x0. */
  fLocal?: number;
  residuals(x: Float64Array, r: Float64Array): void;
  /** Row-major m × n Jacobian of the residuals. */
  jacobian(x: Float64Array, J: Float64Array): void;
}

/** fg(x, g) = Σ r² with its exact gradient 2 Jᵀ r; buffers allocated once per objective. */
export function mghObjective(p: MghProblem): (x: Float64Array, g: Float64Array) => number {
  const r = new Float64Array(p.m);
  const J = new Float64Array(p.m * p.n);
  return (x, g) => {
    p.residuals(x, r);
    p.jacobian(x, J);
    g.fill(0);
    let f = 0;
    for (let i = 0; i < p.m; i++) {
      const ri = r[i]!;
      f += ri * ri;
      for (let j = 0; j < p.n; j++) g[j] += 2 * J[i * p.n + j]! * ri;
    }
    return f;
  };
}

const TWO_PI = 2 * Math.PI;

const rosenbrock: MghProblem = {
  name: "Rosenbrock (1)",
  n: 2,
  m: 2,
  x0: [-1.2, 1],
  fStar: 0,
  xStar: [1, 1],
  residuals: (x, r) => {
    r[0] = 10 * (x[1]! - x[0]! ** 2);
    r[1] = 1 - x[0]!;
  },
  jacobian: (x, J) => {
    J.set([-20 * x[0]!, 10, -1, 0]);
  },
};

const freudensteinRoth: MghProblem = {
  name: "Freudenstein-Roth (2)",
  n: 2,
  m: 2,
  x0: [0.5, -2],
  fStar: 0,
  fLocal: 48.9842,
  residuals: (x, r) => {
    const [x1, x2] = [x[0]!, x[1]!];
    r[0] = -13 + x1 + ((5 - x2) * x2 - 2) * x2;
    r[1] = -29 + x1 + ((x2 + 1) * x2 - 14) * x2;
  },
  jacobian: (x, J) => {
    const x2 = x[1]!;
    J.set([1, 10 * x2 - 3 * x2 * x2 - 2, 1, 3 * x2 * x2 + 2 * x2 - 14]);
  },
};

const powellBadlyScaled: MghProblem = {
  name: "Powell badly scaled (3)",
  n: 2,
  m: 2,
  x0: [0, 1],
  fStar: 0,
  xStar: [1.098159e-5, 9.106146],
  residuals: (x, r) => {
    r[0] = 1e4 * x[0]! * x[1]! - 1;
    r[1] = Math.exp(-x[0]!) + Math.exp(-x[1]!) - 1.0001;
  },
  jacobian: (x, J) => {
    J.set([1e4 * x[1]!, 1e4 * x[0]!, -Math.exp(-x[0]!), -Math.exp(-x[1]!)]);
  },
};

const brownBadlyScaled: MghProblem = {
  name: "Brown badly scaled (4)",
  n: 2,
  m: 3,
  x0: [1, 1],
  fStar: 0,
  xStar: [1e6, 2e-6],
  residuals: (x, r) => {
    r[0] = x[0]! - 1e6;
    r[1] = x[1]! - 2e-6;
    r[2] = x[0]! * x[1]! - 2;
  },
  jacobian: (x, J) => {
    J.set([1, 0, 0, 1, x[1]!, x[0]!]);
  },
};

const BEALE_Y = [1.5, 2.25, 2.625];
const beale: MghProblem = {
  name: "Beale (5)",
  n: 2,
  m: 3,
  x0: [1, 1],
  fStar: 0,
  xStar: [3, 0.5],
  residuals: (x, r) => {
    for (let i = 1; i <= 3; i++) r[i - 1] = BEALE_Y[i - 1]! - x[0]! * (1 - x[1]! ** i);
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 3; i++) {
      J[(i - 1) * 2] = -(1 - x[1]! ** i);
      J[(i - 1) * 2 + 1] = x[0]! * i * x[1]! ** (i - 1);
    }
  },
};

const jennrichSampson: MghProblem = {
  name: "Jennrich-Sampson (6)",
  n: 2,
  m: 10,
  x0: [0.3, 0.4],
  fStar: 124.362,
  xStar: [0.2578, 0.2578],
  residuals: (x, r) => {
    for (let i = 1; i <= 10; i++) r[i - 1] = 2 + 2 * i - (Math.exp(i * x[0]!) + Math.exp(i * x[1]!));
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 10; i++) {
      J[(i - 1) * 2] = -i * Math.exp(i * x[0]!);
      J[(i - 1) * 2 + 1] = -i * Math.exp(i * x[1]!);
    }
  },
};

function helicalTheta(x1: number, x2: number): number {
  const base = Math.atan(x2 / x1) / TWO_PI;
  return x1 > 0 ? base : base + 0.5;
}
const helicalValley: MghProblem = {
  name: "Helical valley (7)",
  n: 3,
  m: 3,
  x0: [-1, 0, 0],
  fStar: 0,
  xStar: [1, 0, 0],
  residuals: (x, r) => {
    const [x1, x2, x3] = [x[0]!, x[1]!, x[2]!];
    r[0] = 10 * (x3 - 10 * helicalTheta(x1, x2));
    r[1] = 10 * (Math.hypot(x1, x2) - 1);
    r[2] = x3;
  },
  jacobian: (x, J) => {
    const [x1, x2] = [x[0]!, x[1]!];
    const q = x1 * x1 + x2 * x2;
    const rad = Math.sqrt(q);
    J.set([
      (100 * x2) / (TWO_PI * q),
      (-100 * x1) / (TWO_PI * q),
      10,
      (10 * x1) / rad,
      (10 * x2) / rad,
      0,
      0,
      0,
      1,
    ]);
  },
};

const BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.1, 4.39];
const bard: MghProblem = {
  name: "Bard (8)",
  n: 3,
  m: 15,
  x0: [1, 1, 1],
  fStar: 8.21487e-3,
  xStar: [0.08241056, 1.133036, 2.343695],
  residuals: (x, r) => {
    for (let i = 1; i <= 15; i++) {
      const [u, v, w] = [i, 16 - i, Math.min(i, 16 - i)];
      r[i - 1] = BARD_Y[i - 1]! - (x[0]! + u / (v * x[1]! + w * x[2]!));
    }
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 15; i++) {
      const [u, v, w] = [i, 16 - i, Math.min(i, 16 - i)];
      const den = v * x[1]! + w * x[2]!;
      J[(i - 1) * 3] = -1;
      J[(i - 1) * 3 + 1] = (u * v) / (den * den);
      J[(i - 1) * 3 + 2] = (u * w) / (den * den);
    }
  },
};

const GAUSS_Y = [
  0.0009, 0.0044, 0.0175, 0.054, 0.1295, 0.242, 0.3521, 0.3989, 0.3521, 0.242, 0.1295, 0.054, 0.0175, 0.0044,
  0.0009,
];
const gaussian: MghProblem = {
  name: "Gaussian (9)",
  n: 3,
  m: 15,
  x0: [0.4, 1, 0],
  fStar: 1.12793e-8,
  residuals: (x, r) => {
    for (let i = 1; i <= 15; i++) {
      const t = (8 - i) / 2;
      r[i - 1] = x[0]! * Math.exp((-x[1]! * (t - x[2]!) ** 2) / 2) - GAUSS_Y[i - 1]!;
    }
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 15; i++) {
      const t = (8 - i) / 2;
      const d = t - x[2]!;
      const e = Math.exp((-x[1]! * d * d) / 2);
      J[(i - 1) * 3] = e;
      J[(i - 1) * 3 + 1] = (-x[0]! * e * d * d) / 2;
      J[(i - 1) * 3 + 2] = x[0]! * e * x[1]! * d;
    }
  },
};

const MEYER_Y = [
  34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872,
];
const meyer: MghProblem = {
  name: "Meyer (10)",
  n: 3,
  m: 16,
  x0: [0.02, 4000, 250],
  fStar: 87.9458,
  residuals: (x, r) => {
    for (let i = 1; i <= 16; i++) r[i - 1] = x[0]! * Math.exp(x[1]! / (45 + 5 * i + x[2]!)) - MEYER_Y[i - 1]!;
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 16; i++) {
      const den = 45 + 5 * i + x[2]!;
      const e = Math.exp(x[1]! / den);
      J[(i - 1) * 3] = e;
      J[(i - 1) * 3 + 1] = (x[0]! * e) / den;
      J[(i - 1) * 3 + 2] = (-x[0]! * e * x[1]!) / (den * den);
    }
  },
};

const box3d: MghProblem = {
  name: "Box 3-D (12)",
  n: 3,
  m: 10,
  x0: [0, 10, 20],
  fStar: 0,
  residuals: (x, r) => {
    for (let i = 1; i <= 10; i++) {
      const t = 0.1 * i;
      r[i - 1] = Math.exp(-t * x[0]!) - Math.exp(-t * x[1]!) - x[2]! * (Math.exp(-t) - Math.exp(-10 * t));
    }
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 10; i++) {
      const t = 0.1 * i;
      J[(i - 1) * 3] = -t * Math.exp(-t * x[0]!);
      J[(i - 1) * 3 + 1] = t * Math.exp(-t * x[1]!);
      J[(i - 1) * 3 + 2] = -(Math.exp(-t) - Math.exp(-10 * t));
    }
  },
};

const S5 = Math.sqrt(5);
const S10 = Math.sqrt(10);
const powellSingular: MghProblem = {
  name: "Powell singular (13)",
  n: 4,
  m: 4,
  x0: [3, -1, 0, 1],
  fStar: 0,
  xStar: [0, 0, 0, 0],
  residuals: (x, r) => {
    const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
    r[0] = x1 + 10 * x2;
    r[1] = S5 * (x3 - x4);
    r[2] = (x2 - 2 * x3) ** 2;
    r[3] = S10 * (x1 - x4) ** 2;
  },
  jacobian: (x, J) => {
    const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
    const a = 2 * (x2 - 2 * x3);
    const b = 2 * S10 * (x1 - x4);
    J.set([1, 10, 0, 0, 0, 0, S5, -S5, 0, a, -2 * a, 0, b, 0, 0, -b]);
  },
};

const S90 = Math.sqrt(90);
const wood: MghProblem = {
  name: "Wood (14)",
  n: 4,
  m: 6,
  x0: [-3, -1, -3, -1],
  fStar: 0,
  xStar: [1, 1, 1, 1],
  residuals: (x, r) => {
    const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
    r[0] = 10 * (x2 - x1 * x1);
    r[1] = 1 - x1;
    r[2] = S90 * (x4 - x3 * x3);
    r[3] = 1 - x3;
    r[4] = S10 * (x2 + x4 - 2);
    r[5] = (x2 - x4) / S10;
  },
  jacobian: (x, J) => {
    const [x1, x3] = [x[0]!, x[2]!];
    J.set([
      -20 * x1,
      10,
      0,
      0,
      -1,
      0,
      0,
      0,
      0,
      0,
      -2 * S90 * x3,
      S90,
      0,
      0,
      -1,
      0,
      0,
      S10,
      0,
      S10,
      0,
      1 / S10,
      0,
      -1 / S10,
    ]);
  },
};

const KO_Y = [0.1957, 0.1947, 0.1735, 0.16, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
const KO_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
const kowalikOsborne: MghProblem = {
  name: "Kowalik-Osborne (15)",
  n: 4,
  m: 11,
  x0: [0.25, 0.39, 0.415, 0.39],
  fStar: 3.07505e-4,
  residuals: (x, r) => {
    for (let i = 0; i < 11; i++) {
      const u = KO_U[i]!;
      r[i] = KO_Y[i]! - (x[0]! * (u * u + u * x[1]!)) / (u * u + u * x[2]! + x[3]!);
    }
  },
  jacobian: (x, J) => {
    for (let i = 0; i < 11; i++) {
      const u = KO_U[i]!;
      const num = u * u + u * x[1]!;
      const den = u * u + u * x[2]! + x[3]!;
      J[i * 4] = -num / den;
      J[i * 4 + 1] = (-x[0]! * u) / den;
      J[i * 4 + 2] = (x[0]! * num * u) / (den * den);
      J[i * 4 + 3] = (x[0]! * num) / (den * den);
    }
  },
};

const biggsExp6: MghProblem = {
  name: "Biggs EXP6 (18)",
  n: 6,
  m: 13,
  x0: [1, 2, 1, 1, 1, 1],
  fStar: 5.65565e-3,
  fLocal: 0, // the global minimum, at (1, 10, 1, 5, 4, 3); either is an acceptable end from x0
  residuals: (x, r) => {
    for (let i = 1; i <= 13; i++) {
      const t = 0.1 * i;
      const y = Math.exp(-t) - 5 * Math.exp(-10 * t) + 3 * Math.exp(-4 * t);
      r[i - 1] =
        x[2]! * Math.exp(-t * x[0]!) - x[3]! * Math.exp(-t * x[1]!) + x[5]! * Math.exp(-t * x[4]!) - y;
    }
  },
  jacobian: (x, J) => {
    for (let i = 1; i <= 13; i++) {
      const t = 0.1 * i;
      const [e1, e2, e5] = [Math.exp(-t * x[0]!), Math.exp(-t * x[1]!), Math.exp(-t * x[4]!)];
      J.set([-t * x[2]! * e1, t * x[3]! * e2, e1, -e2, -t * x[5]! * e5, e5], (i - 1) * 6);
    }
  },
};

function watson(n: number, fStar: number): MghProblem {
  return {
    name: `Watson n=${n} (20)`,
    n,
    m: 31,
    x0: new Array<number>(n).fill(0),
    fStar,
    residuals: (x, r) => {
      for (let i = 1; i <= 29; i++) {
        const t = i / 29;
        let s1 = 0;
        for (let j = 2; j <= n; j++) s1 += (j - 1) * x[j - 1]! * t ** (j - 2);
        let s2 = 0;
        for (let j = 1; j <= n; j++) s2 += x[j - 1]! * t ** (j - 1);
        r[i - 1] = s1 - s2 * s2 - 1;
      }
      r[29] = x[0]!;
      r[30] = x[1]! - x[0]! ** 2 - 1;
    },
    jacobian: (x, J) => {
      J.fill(0);
      for (let i = 1; i <= 29; i++) {
        const t = i / 29;
        let s2 = 0;
        for (let j = 1; j <= n; j++) s2 += x[j - 1]! * t ** (j - 1);
        for (let j = 1; j <= n; j++) {
          J[(i - 1) * n + j - 1] = (j >= 2 ? (j - 1) * t ** (j - 2) : 0) - 2 * s2 * t ** (j - 1);
        }
      }
      J[29 * n] = 1;
      J[30 * n] = -2 * x[0]!;
      J[30 * n + 1] = 1;
    },
  };
}

function penaltyI(n: number, fStar: number): MghProblem {
  const a = Math.sqrt(1e-5);
  return {
    name: `Penalty I n=${n} (23)`,
    n,
    m: n + 1,
    x0: Array.from({ length: n }, (_, j) => j + 1),
    fStar,
    residuals: (x, r) => {
      let s = 0;
      for (let j = 0; j < n; j++) {
        r[j] = a * (x[j]! - 1);
        s += x[j]! ** 2;
      }
      r[n] = s - 0.25;
    },
    jacobian: (x, J) => {
      J.fill(0);
      for (let j = 0; j < n; j++) {
        J[j * n + j] = a;
        J[n * n + j] = 2 * x[j]!;
      }
    },
  };
}

function penaltyII(n: number, fStar: number): MghProblem {
  const a = Math.sqrt(1e-5);
  const e = Math.exp(-0.1);
  return {
    name: `Penalty II n=${n} (24)`,
    n,
    m: 2 * n,
    x0: new Array<number>(n).fill(0.5),
    fStar,
    residuals: (x, r) => {
      r[0] = x[0]! - 0.2;
      for (let i = 2; i <= n; i++) {
        const y = Math.exp(i / 10) + Math.exp((i - 1) / 10);
        r[i - 1] = a * (Math.exp(x[i - 1]! / 10) + Math.exp(x[i - 2]! / 10) - y);
      }
      for (let i = n + 1; i <= 2 * n - 1; i++) r[i - 1] = a * (Math.exp(x[i - n]! / 10) - e);
      let s = 0;
      for (let j = 1; j <= n; j++) s += (n - j + 1) * x[j - 1]! ** 2;
      r[2 * n - 1] = s - 1;
    },
    jacobian: (x, J) => {
      J.fill(0);
      J[0] = 1;
      for (let i = 2; i <= n; i++) {
        J[(i - 1) * n + i - 1] = (a * Math.exp(x[i - 1]! / 10)) / 10;
        J[(i - 1) * n + i - 2] = (a * Math.exp(x[i - 2]! / 10)) / 10;
      }
      for (let i = n + 1; i <= 2 * n - 1; i++) J[(i - 1) * n + i - n] = (a * Math.exp(x[i - n]! / 10)) / 10;
      for (let j = 1; j <= n; j++) J[(2 * n - 1) * n + j - 1] = 2 * (n - j + 1) * x[j - 1]!;
    },
  };
}

function extendedPowell(n: number): MghProblem {
  return {
    name: `Extended Powell singular n=${n} (22)`,
    n,
    m: n,
    x0: Array.from({ length: n }, (_, j) => [3, -1, 0, 1][j % 4]!),
    fStar: 0,
    residuals: (x, r) => {
      for (let k = 0; k < n; k += 4) {
        const [x1, x2, x3, x4] = [x[k]!, x[k + 1]!, x[k + 2]!, x[k + 3]!];
        r[k] = x1 + 10 * x2;
        r[k + 1] = S5 * (x3 - x4);
        r[k + 2] = (x2 - 2 * x3) ** 2;
        r[k + 3] = S10 * (x1 - x4) ** 2;
      }
    },
    jacobian: (x, J) => {
      J.fill(0);
      for (let k = 0; k < n; k += 4) {
        const [x1, x2, x3, x4] = [x[k]!, x[k + 1]!, x[k + 2]!, x[k + 3]!];
        const a = 2 * (x2 - 2 * x3);
        const b = 2 * S10 * (x1 - x4);
        J[k * n + k] = 1;
        J[k * n + k + 1] = 10;
        J[(k + 1) * n + k + 2] = S5;
        J[(k + 1) * n + k + 3] = -S5;
        J[(k + 2) * n + k + 1] = a;
        J[(k + 2) * n + k + 2] = -2 * a;
        J[(k + 3) * n + k] = b;
        J[(k + 3) * n + k + 3] = -b;
      }
    },
  };
}

function variablyDimensioned(n: number): MghProblem {
  return {
    name: `Variably dimensioned n=${n} (25)`,
    n,
    m: n + 2,
    x0: Array.from({ length: n }, (_, j) => 1 - (j + 1) / n),
    fStar: 0,
    xStar: new Array<number>(n).fill(1),
    residuals: (x, r) => {
      let s = 0;
      for (let j = 0; j < n; j++) {
        r[j] = x[j]! - 1;
        s += (j + 1) * (x[j]! - 1);
      }
      r[n] = s;
      r[n + 1] = s * s;
    },
    jacobian: (x, J) => {
      J.fill(0);
      let s = 0;
      for (let j = 0; j < n; j++) s += (j + 1) * (x[j]! - 1);
      for (let j = 0; j < n; j++) {
        J[j * n + j] = 1;
        J[n * n + j] = j + 1;
        J[(n + 1) * n + j] = 2 * s * (j + 1);
      }
    },
  };
}

function trigonometric(n: number): MghProblem {
  return {
    name: `Trigonometric n=${n} (26)`,
    n,
    m: n,
    x0: new Array<number>(n).fill(1 / n),
    fStar: 0,
    fLocal: 2.79506e-5, // the paper: "f = 0" for n = 10 is not reached from x0 by local methods; Optim.jl accepts this
    residuals: (x, r) => {
      let c = 0;
      for (let j = 0; j < n; j++) c += Math.cos(x[j]!);
      for (let i = 0; i < n; i++) r[i] = n - c + (i + 1) * (1 - Math.cos(x[i]!)) - Math.sin(x[i]!);
    },
    jacobian: (x, J) => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) J[i * n + j] = Math.sin(x[j]!);
        J[i * n + i] = J[i * n + i]! + (i + 1) * Math.sin(x[i]!) - Math.cos(x[i]!);
      }
    },
  };
}

/** The set used by the tests and the bench: the 18 of the note plus four scalable ones. */
export const MGH_PROBLEMS: readonly MghProblem[] = [
  rosenbrock,
  freudensteinRoth,
  powellBadlyScaled,
  brownBadlyScaled,
  beale,
  jennrichSampson,
  helicalValley,
  bard,
  gaussian,
  meyer,
  box3d,
  powellSingular,
  wood,
  kowalikOsborne,
  biggsExp6,
  watson(6, 2.28767e-3),
  penaltyI(10, 7.08765e-5),
  penaltyII(10, 2.9366e-4),
  extendedPowell(8),
  variablyDimensioned(10),
  trigonometric(10),
];

/** Extended Rosenbrock, f = Σ_pairs 100 (x_{2i} − x_{2i−1}²)² + (1 − x_{2i−1})², in place, O(n), allocation-free. */
export function extendedRosenbrock(x: Float64Array, g: Float64Array): number {
  let f = 0;
  const n = x.length;
  for (let i = 0; i < n; i += 2) {
    const x1 = x[i]!;
    const t1 = 1 - x1;
    const t2 = 10 * (x[i + 1]! - x1 * x1);
    f += t1 * t1 + t2 * t2;
    const g2 = 20 * t2;
    g[i + 1] = g2;
    g[i] = -2 * (x1 * g2 + t1);
  }
  return f;
}

/** The standard start (−1.2, 1, −1.2, 1, ...). */
export function extendedRosenbrockStart(n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    x[i] = -1.2;
    x[i + 1] = 1;
  }
  return x;
}
