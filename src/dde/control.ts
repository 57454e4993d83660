/**
 * Step-size control: Hairer's initial step estimate and a PI controller (Gustafsson) on the embedded error estimate.
 * E. Hairer, S. P. Norsett, G. Wanner, Solving ODEs I, Sec. II.4 (starting step size) and IV.2 (PI control).
 */
import type { LagEvaluator } from "./lagged.js";
import type { RKStepper } from "./stepper.js";

/** Weighted RMS norm of a (or a - b) with weights atol + rtol |ref|. */
export function rmsScaled(
  a: Float64Array,
  b: Float64Array | null,
  ref: Float64Array,
  rtol: number,
  atol: Float64Array,
): number {
  const n = ref.length;
  let acc = 0;
  for (let j = 0; j < n; j++) {
    const d = b ? a[j]! - b[j]! : a[j]!;
    acc += (d / (atol[j]! + rtol * Math.abs(ref[j]!))) ** 2;
  }
  return Math.sqrt(acc / n);
}

/**
 * First step size from ||y0||, ||f(t0, y0)|| and a difference quotient of f along an Euler step (lags inside that
 * step read the Euler line). Uses K rows 0 (f(t0, y0), given) and 1 (scratch).
 */
export function initialStep(
  stepper: RKStepper,
  lag: LagEvaluator,
  t0: number,
  y: Float64Array,
  rtol: number,
  atol: Float64Array,
  hmax: number,
  span: number,
): number {
  const n = y.length;
  const K = stepper.K;
  const k0 = K.subarray(0, n);
  const d0 = rmsScaled(y, null, y, rtol, atol);
  const d1 = rmsScaled(k0, null, y, rtol, atol);
  const scale = Math.max(1, Math.abs(t0), span);
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 * scale : (0.01 * d0) / d1;
  h0 = Math.min(h0, hmax, span);
  const y1 = new Float64Array(n);
  for (let j = 0; j < n; j++) y1[j] = y[j]! + h0 * k0[j]!;
  lag.curK1.set(k0);
  if (!stepper.evalRhs(t0 + h0, y1, 1, false)) return h0;
  const d2 = rmsScaled(K.subarray(n, 2 * n), k0, y, rtol, atol) / h0;
  const dm = Math.max(d1, d2);
  const h1 = dm <= 1e-15 ? Math.max(1e-6 * scale, h0 * 1e-3) : (0.01 / dm) ** (1 / (stepper.tab.order + 1));
  return Math.min(100 * h0, h1, hmax);
}

/** PI step-size controller: factor = 0.9 err^-beta1 errOld^beta2 on acceptance, a pure I-step after a rejection. */
export class PIController {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly expoReject: number;
  private errOld = 1e-4;

  constructor(embeddedOrder: number) {
    this.beta2 = 0.2 / (embeddedOrder + 1);
    this.beta1 = 1 / (embeddedOrder + 1) - 0.75 * this.beta2;
    this.expoReject = 1 / (embeddedOrder + 1);
  }

  /** Step-size factor after an accepted step with error err (<= 1); no growth right after a rejection. */
  accept(err: number, afterReject: boolean): number {
    const fac = 0.9 * Math.max(err, 1e-10) ** -this.beta1 * this.errOld ** this.beta2;
    this.errOld = Math.max(err, 1e-4);
    return Math.min(afterReject ? 1 : 10, Math.max(0.2, fac));
  }

  /** Step-size factor after a rejected step with error err (> 1). */
  reject(err: number): number {
    return Math.max(0.2, 0.9 * err ** -this.expoReject);
  }
}
