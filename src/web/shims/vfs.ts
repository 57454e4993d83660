/**
 * A tiny in-memory file system behind the node:fs shim: the playground puts the editor's companion files there (a
 * data CSV bundled with an example or uploaded by the user) so library code that reads `data: obs.csv` relative to the
 * model's directory finds them, unchanged. Paths are POSIX, absolute (e.g. /playground/obs.csv).
 */
export const VIRTUAL_DIR = "/playground";
const files = new Map<string, string>();

export function setVirtualFiles(entries: Record<string, string>): void {
  files.clear();
  for (const [name, text] of Object.entries(entries))
    files.set(name.startsWith("/") ? name : `${VIRTUAL_DIR}/${name}`, text);
}

export function readVirtual(path: string): string | undefined {
  return files.get(path);
}

export function noSuchFile(path: string): Error & { code: string } {
  return Object.assign(new Error(`ENOENT: no such file '${path}' (upload it as a data CSV)`), {
    code: "ENOENT",
  });
}
