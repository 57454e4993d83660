/** Browser shim for node:url. */
import { unavailable } from "./unavailable.js";

export const fileURLToPath = (u: string | URL): string => new URL(String(u)).pathname;
export const pathToFileURL = (p: string): URL => new URL(`file://${p}`);
export const URL_ = globalThis.URL;
export { URL_ as URL };
export const format = unavailable("url.format");
export default { fileURLToPath, pathToFileURL, URL: URL_ };
