/** Browser shim for node:path: POSIX-style string helpers (enough for relative data-file names in model files). */
export const sep = "/";
export const delimiter = ":";

function normalizeParts(path: string): string {
  const abs = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const body = out.join("/");
  return abs ? "/" + body : body || ".";
}

export const normalize = (p: string): string => normalizeParts(p);
export const join = (...parts: string[]): string => normalizeParts(parts.filter(Boolean).join("/"));
export const isAbsolute = (p: string): boolean => p.startsWith("/");
export function resolve(...parts: string[]): string {
  let acc = "";
  for (const p of parts) acc = p.startsWith("/") ? p : acc ? `${acc}/${p}` : p;
  return normalizeParts(acc.startsWith("/") ? acc : "/" + acc);
}
export function dirname(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}
export function basename(p: string, ext?: string): string {
  const b = p.replace(/\/+$/, "").split("/").pop() ?? "";
  return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
}
export function extname(p: string): string {
  const b = basename(p);
  const i = b.lastIndexOf(".");
  return i <= 0 ? "" : b.slice(i);
}
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}
export const posix = {
  sep,
  delimiter,
  normalize,
  join,
  isAbsolute,
  resolve,
  dirname,
  basename,
  extname,
  relative,
};
export default posix;
