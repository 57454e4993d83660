/** FGM, the L2 fast gradient method, lives with FGSM (one single-step core); re-exported under its own name. */
export { fgm } from "./fgsm.js";
