/**
 * L-BFGS on extended Rosenbrock (n = 1e4 and 1e6, m = 10, gtol 1e-5 on the projected-gradient inf-norm), gradopt side
 * by side with SciPy's L-BFGS-B (Debian python3-scipy, vectorised numpy objective) in the same run: best wall time,
 * iterations, evaluations, and the time ratio gradopt / SciPy (< 1: gradopt faster).
 * `OPTIM_BENCH_SIZES=1e4,1e5` and `OPTIM_BENCH_REPEATS=2` override the defaults.
 */
import { join } from "node:path";
import { lbfgs } from "../../src/optim/lbfgs.js";
import { extendedRosenbrock, extendedRosenbrockStart } from "../../src/optim/testing/mgh.js";
import { benchDir, bestTime, printTable, python, runPeer, writeResult } from "../util.js";

interface PeerResult {
  n: number;
  ms: number;
  nit: number;
  nfev: number;
  f: number;
  message: string;
}

export default async function (): Promise<void> {
  const sizes = (process.env.OPTIM_BENCH_SIZES ?? "1e4,1e6").split(",").map((s) => Math.round(Number(s)));
  const repeats = Number(process.env.OPTIM_BENCH_REPEATS ?? 3);
  const rows: Record<string, string | number>[] = [];
  const results: unknown[] = [];
  for (const n of sizes) {
    const ours = await bestTime(
      () => lbfgs(extendedRosenbrock, extendedRosenbrockStart(n), { memory: 10, gtol: 1e-5 }),
      repeats,
    );
    const peer = runPeer(python, [
      join(benchDir, "peers", "scipy_lbfgsb.py"),
      String(n),
      String(repeats),
      "10",
      "1e-5",
    ]);
    const theirs = peer.ok ? (peer.json as { scipy: string; results: PeerResult[] }) : undefined;
    const p = theirs?.results[0];
    const r = ours.result;
    rows.push({
      n,
      "gradopt ms": ours.ms,
      "gradopt nit": r.iterations,
      "gradopt nfev": r.evaluations,
      "scipy ms": p ? p.ms : "n/a",
      "scipy nit": p ? p.nit : "n/a",
      "scipy nfev": p ? p.nfev : "n/a",
      "ratio (gradopt/scipy)": p ? ours.ms / p.ms : "n/a",
    });
    results.push({
      n,
      gradopt: {
        ms: ours.ms,
        iterations: r.iterations,
        evaluations: r.evaluations,
        f: r.f,
        status: r.status,
      },
      scipy: p ? { version: theirs!.scipy, ...p } : { error: peer.ok ? "no result" : peer.why },
      ratio: p ? ours.ms / p.ms : null,
    });
    if (!peer.ok) console.log(`scipy peer unavailable: ${peer.why}`);
  }
  printTable(rows);
  writeResult("optim-lbfgs", { repeats, memory: 10, gtol: 1e-5, results });
}
