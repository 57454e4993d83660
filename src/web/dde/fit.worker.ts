/**
 * Fits run here, off the main thread: the worker compiles the same YAML (functions cannot cross postMessage), calls
 * the library's fit with an onProgress hook, and streams (iteration, cost, params) back to the page.
 */
import { serve } from "../workers/rpc.js";
import type { FitRequest } from "./types.js";

serve({
  fit: async (_req: FitRequest) => {
    throw new Error("fitting is unavailable in this build: src/dde/fit has not landed yet");
  },
});
