/** Browser shim for node:child_process (see unavailable.ts). */
import { unavailable } from "./unavailable.js";

export const spawn = unavailable("child_process.spawn");
export const spawnSync = unavailable("child_process.spawnSync");
export const execFile = unavailable("child_process.execFile");
export const execFileSync = unavailable("child_process.execFileSync");
export default { spawn, spawnSync, execFile, execFileSync };
