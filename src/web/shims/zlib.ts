/** Browser shim for node:zlib (see unavailable.ts). */
import { unavailable } from "./unavailable.js";

export const gunzipSync = unavailable("zlib.gunzipSync");
export const gzipSync = unavailable("zlib.gzipSync");
export const inflateSync = unavailable("zlib.inflateSync");
export const deflateSync = unavailable("zlib.deflateSync");
export default { gunzipSync, gzipSync, inflateSync, deflateSync };
