"""Peer for bench/suites/optim-lbfgs.ts: SciPy's L-BFGS-B on extended Rosenbrock with a vectorised numpy objective.

Usage: scipy_lbfgsb.py N[,N...] [REPEATS] [MEMORY] [GTOL]
Prints one JSON line: {"scipy": version, "results": [{"n", "ms" (best wall time), "nit", "nfev", "f", "message"}]}.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.optimize import minimize


def rosenbrock(x):
    x1 = x[0::2]
    x2 = x[1::2]
    t1 = 1.0 - x1
    t2 = 10.0 * (x2 - x1 * x1)
    g = np.empty_like(x)
    g[1::2] = 20.0 * t2
    g[0::2] = -2.0 * (x1 * g[1::2] + t1)
    return float(np.dot(t1, t1) + np.dot(t2, t2)), g


def start(n):
    x = np.empty(n)
    x[0::2] = -1.2
    x[1::2] = 1.0
    return x


def main():
    sizes = [int(float(s)) for s in sys.argv[1].split(",")]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    memory = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    gtol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
    out = []
    for n in sizes:
        best = float("inf")
        res = None
        for _ in range(repeats):
            x0 = start(n)
            t0 = time.perf_counter()
            res = minimize(rosenbrock, x0, jac=True, method="L-BFGS-B",
                           options=dict(maxcor=memory, gtol=gtol, maxiter=15000, maxfun=15000))
            best = min(best, (time.perf_counter() - t0) * 1000)
        msg = res.message.decode() if isinstance(res.message, bytes) else str(res.message)
        out.append(dict(n=n, ms=best, nit=int(res.nit), nfev=int(res.nfev), f=float(res.fun), message=msg))
    print(json.dumps(dict(scipy=scipy.__version__, results=out)))


if __name__ == "__main__":
    main()
