import type { DdeSummary, PartContext } from "./types.js";

export async function runDdePart(_ctx: PartContext): Promise<DdeSummary> {
  throw new Error("the DDE solver, gradients and fitting have not landed in this build yet");
}
