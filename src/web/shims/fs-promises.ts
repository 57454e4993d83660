/** Browser shim for node:fs/promises (see unavailable.ts). */
import { unavailable } from "./unavailable.js";

export const readFile = unavailable("fs/promises.readFile");
export const writeFile = unavailable("fs/promises.writeFile");
export const mkdir = unavailable("fs/promises.mkdir");
export const readdir = unavailable("fs/promises.readdir");
export const stat = unavailable("fs/promises.stat");
export const rename = unavailable("fs/promises.rename");
export const rm = unavailable("fs/promises.rm");
export const unlink = unavailable("fs/promises.unlink");
export const access = unavailable("fs/promises.access");
export const copyFile = unavailable("fs/promises.copyFile");
export default { readFile, writeFile, mkdir, readdir, stat, rename, rm, unlink, access, copyFile };
