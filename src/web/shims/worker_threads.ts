/** Browser shim for node:worker_threads: the playground uses Web Workers instead. */
import { unavailable } from "./unavailable.js";

export const isMainThread = true;
export const parentPort = null;
export const workerData = undefined;
export const Worker = unavailable("worker_threads.Worker");
export default { isMainThread, parentPort, workerData, Worker };
