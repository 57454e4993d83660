/**
 * Fits run here, off the main thread: the worker compiles the same YAML (functions cannot cross postMessage), calls
 * the library's fitModelFile (src/model/run.ts over src/dde/fit) with an onProgress hook, and streams
 * (iteration, cost, params) back to the page. Stopping a fit ends the worker (the page starts a fresh one).
 */
import { setVirtualFiles, VIRTUAL_DIR } from "../shims/vfs.js";
import { serve } from "../workers/rpc.js";
import { compileModel } from "../../model/compile.js";
import { fitModelFile, type FitModelFileOptions } from "../../model/run.js";
import { MODEL_FILE, type FitProgress, type FitRequest, type FitResultView } from "./types.js";

serve({
  async fit(req: FitRequest, progress: (p: FitProgress) => void): Promise<FitResultView> {
    setVirtualFiles(req.files);
    const model = compileModel({ text: req.text, file: MODEL_FILE, dir: VIRTUAL_DIR }).withParams(
      req.params,
      "slider",
    );
    const start = performance.now();
    const bounds = Object.fromEntries(
      Object.entries(req.bounds).map(([k, b]) => [k, [b.lower, b.upper] as const]),
    );
    const res = fitModelFile(model, {
      wrt: req.wrt,
      optimizer: req.optimizer as FitModelFileOptions["optimizer"],
      maxIter: req.maxIter,
      ...(Object.keys(bounds).length ? { bounds } : {}),
      // Every iteration goes to the page's cost plot (the page redraws at most once a frame).
      onProgress: (p) => progress({ iteration: p.iteration, cost: p.cost, params: { ...p.params } }),
    });
    return {
      params: res.params,
      cost: res.cost,
      status: res.status,
      converged: res.converged,
      iterations: res.iterations,
      evaluations: res.evaluations,
      message: res.message,
      ms: performance.now() - start,
    };
  },
});
