/** Browser shim for pngjs: PNG files are written by the CLI (attack --out, reports); the playground draws to canvases. */
import { unavailable } from "./unavailable.js";

export class PNG {
  static sync = { read: unavailable("pngjs PNG.sync.read"), write: unavailable("pngjs PNG.sync.write") };
  constructor() {
    unavailable("pngjs PNG")();
  }
}
export default { PNG };
