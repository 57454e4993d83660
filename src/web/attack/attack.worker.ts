/**
 * Attacks run here, off the main thread: TensorFlow.js (WebGL, else wasm, else cpu) with the bundled classifier and
 * the library's attacks. One worker serves the live single-image view; a second one computes robust-accuracy curves.
 */
import { serve } from "../workers/rpc.js";
import type { InitRequest } from "./types.js";

serve({
  init: async (_req: InitRequest) => {
    throw new Error("the attack library (src/attack) has not landed yet");
  },
});
