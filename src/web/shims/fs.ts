/** Browser shim for node:fs: reads come from the playground's in-memory files (vfs.ts); the rest is unavailable. */
import { unavailable } from "./unavailable.js";
import { noSuchFile, readVirtual } from "./vfs.js";

export function readFileSync(
  path: string | URL,
  options?: string | { encoding?: string },
): string | Uint8Array {
  const text = readVirtual(String(path));
  if (text === undefined) throw noSuchFile(String(path));
  const encoding = typeof options === "string" ? options : options?.encoding;
  return encoding ? text : new TextEncoder().encode(text);
}
export const writeFileSync = unavailable("fs.writeFileSync");
export const mkdirSync = unavailable("fs.mkdirSync");
export const readdirSync = unavailable("fs.readdirSync");
export const statSync = unavailable("fs.statSync");
export const renameSync = unavailable("fs.renameSync");
export const rmSync = unavailable("fs.rmSync");
export const unlinkSync = unavailable("fs.unlinkSync");
export const openSync = unavailable("fs.openSync");
export const closeSync = unavailable("fs.closeSync");
export const readSync = unavailable("fs.readSync");
export const writeSync = unavailable("fs.writeSync");
export const copyFileSync = unavailable("fs.copyFileSync");
export const createReadStream = unavailable("fs.createReadStream");
export const createWriteStream = unavailable("fs.createWriteStream");
export const existsSync = (path: string | URL): boolean => readVirtual(String(path)) !== undefined;
export const promises = {
  readFile: unavailable("fs.promises.readFile"),
  writeFile: unavailable("fs.promises.writeFile"),
  mkdir: unavailable("fs.promises.mkdir"),
  readdir: unavailable("fs.promises.readdir"),
  stat: unavailable("fs.promises.stat"),
  rename: unavailable("fs.promises.rename"),
  rm: unavailable("fs.promises.rm"),
};
export default {
  readFileSync,
  writeFileSync,
  mkdirSync,
  readdirSync,
  statSync,
  existsSync,
  renameSync,
  rmSync,
  promises,
};
