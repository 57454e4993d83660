/**
 * The stored past: one polynomial per accepted step, y(t_k + theta h_k) = y_k + sum_p theta^(p+1) c_p, found by a
 * hinted search (lags move forward with t, so the hint is almost always right) or by bisection.
 * In window mode the steps older than the window are dropped (amortised O(1) compaction), so memory stays bounded.
 */
export class StepStore {
  readonly n: number;
  /** Degree of the step polynomials. */
  readonly q: number;
  readonly stride: number;
  private ts: Float64Array;
  private te: Float64Array;
  private data: Float64Array;
  /** Physical slots [0, len) hold logical steps [dropped, dropped + len). */
  private len = 0;
  private dropped = 0;

  constructor(n: number, q: number, capacity = 256) {
    this.n = n;
    this.q = q;
    this.stride = n * (q + 1);
    this.ts = new Float64Array(capacity);
    this.te = new Float64Array(capacity);
    this.data = new Float64Array(capacity * this.stride);
  }

  /** Number of steps ever pushed (logical end index). */
  get end(): number {
    return this.dropped + this.len;
  }
  /** Logical index of the oldest step still kept. */
  get first(): number {
    return this.dropped;
  }
  get size(): number {
    return this.len;
  }
  /** Start time of the oldest kept step (Infinity when empty). */
  get tFirst(): number {
    return this.len > 0 ? this.ts[0]! : Infinity;
  }
  /** End of the last step (-Infinity when empty). */
  tLast = -Infinity;

  startOf(k: number): number {
    return this.ts[k - this.dropped]!;
  }
  endOf(k: number): number {
    return this.te[k - this.dropped]!;
  }

  /** Appends a step [t, t + h] with start value y and coefficients coef (q blocks of n). */
  push(t: number, tEnd: number, y: Float64Array, coef: Float64Array): void {
    if (this.len === this.ts.length) this.grow();
    const i = this.len++;
    this.ts[i] = t;
    this.te[i] = tEnd;
    this.tLast = tEnd;
    const base = i * this.stride;
    const d = this.data;
    const n = this.n;
    for (let j = 0; j < n; j++) d[base + j] = y[j]!;
    const nq = n * this.q;
    for (let j = 0; j < nq; j++) d[base + n + j] = coef[j]!;
  }

  /** Drops steps that end before `tKeep` (window mode). */
  trimBefore(tKeep: number): void {
    let k = 0;
    while (k < this.len - 1 && this.te[k]! < tKeep) k++;
    if (k === 0) return;
    this.dropped += k;
    this.len -= k;
    this.ts.copyWithin(0, k, k + this.len);
    this.te.copyWithin(0, k, k + this.len);
    this.data.copyWithin(0, k * this.stride, (k + this.len) * this.stride);
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    const te = new Float64Array(cap);
    te.set(this.te);
    const data = new Float64Array(cap * this.stride);
    data.set(this.data);
    this.ts = ts;
    this.te = te;
    this.data = data;
  }

  /**
   * Logical index of the step holding s: right side t_k <= s < t_{k+1}, left side t_k < s <= t_{k+1}. Beyond the last
   * step: the last one (extrapolation); before the first kept step: -1.
   */
  locate(s: number, hint: number, left: boolean): number {
    const len = this.len;
    if (len === 0) return -1;
    const ts = this.ts;
    const te = this.te;
    let i = hint - this.dropped;
    if (i < 0 || i >= len) i = len - 1;
    if (s < ts[0]!) return -1;
    // walk a few slots from the hint before bisecting
    for (let tries = 0; tries < 4; tries++) {
      if (left ? s <= ts[i]! && i > 0 : s < ts[i]!) i--;
      else if (left ? s > te[i]! : s >= te[i]!) {
        if (i === len - 1) return i + this.dropped;
        i++;
      } else return i + this.dropped;
      if (i < 0) return -1;
    }
    let lo = 0;
    let hi = len - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (left ? ts[mid]! < s : ts[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return lo + this.dropped;
  }

  /** Writes y(s) of step k into out[off..off+n). */
  eval(k: number, s: number, out: Float64Array, off: number): void {
    const i = k - this.dropped;
    const t = this.ts[i]!;
    const theta = (s - t) / (this.te[i]! - t);
    const n = this.n;
    const q = this.q;
    const d = this.data;
    const base = i * this.stride;
    for (let j = 0; j < n; j++) {
      let acc = d[base + n * q + j]!;
      for (let p = q - 1; p >= 1; p--) acc = acc * theta + d[base + n * p + j]!;
      out[off + j] = d[base + j]! + theta * acc;
    }
  }

  /** Writes y'(s) of step k (the derivative of the interpolant) into out[off..off+n). */
  deriv(k: number, s: number, out: Float64Array, off: number): void {
    const i = k - this.dropped;
    const t = this.ts[i]!;
    const h = this.te[i]! - t;
    const theta = (s - t) / h;
    const n = this.n;
    const q = this.q;
    const d = this.data;
    const base = i * this.stride;
    for (let j = 0; j < n; j++) {
      let acc = q * d[base + n * q + j]!;
      for (let p = q - 1; p >= 1; p--) acc = acc * theta + p * d[base + n * p + j]!;
      out[off + j] = acc / h;
    }
  }
}
