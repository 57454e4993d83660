/** Small dense linear algebra for the 2m × 2m systems of L-BFGS-B (m ≤ ~50): row-major Float64Arrays. */

/**
 * Solves A X = B in place for k × k A and k × r right-hand sides B (row-major), by Gaussian elimination with partial
 * pivoting. A is destroyed; X replaces B. Returns false when A is numerically singular.
 */
export function solveInPlace(A: Float64Array, B: Float64Array, k: number, r: number): boolean {
  let scale = 0;
  for (let i = 0; i < k * k; i++) scale = Math.max(scale, Math.abs(A[i]!));
  const tiny = scale * 1e-14;
  for (let col = 0; col < k; col++) {
    let piv = col;
    let best = Math.abs(A[col * k + col]!);
    for (let i = col + 1; i < k; i++) {
      const v = Math.abs(A[i * k + col]!);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (!(best > tiny)) return false;
    if (piv !== col) {
      for (let j = 0; j < k; j++) swap(A, piv * k + j, col * k + j);
      for (let j = 0; j < r; j++) swap(B, piv * r + j, col * r + j);
    }
    const d = A[col * k + col]!;
    for (let i = col + 1; i < k; i++) {
      const f = A[i * k + col]! / d;
      if (f === 0) continue;
      for (let j = col; j < k; j++) A[i * k + j] = A[i * k + j]! - f * A[col * k + j]!;
      for (let j = 0; j < r; j++) B[i * r + j] = B[i * r + j]! - f * B[col * r + j]!;
    }
  }
  for (let col = k - 1; col >= 0; col--) {
    const d = A[col * k + col]!;
    for (let j = 0; j < r; j++) {
      let s = B[col * r + j]!;
      for (let i = col + 1; i < k; i++) s -= A[col * k + i]! * B[i * r + j]!;
      B[col * r + j] = s / d;
    }
  }
  return true;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** out = A v for k × k A. */
export function matVec(A: Float64Array, v: Float64Array, out: Float64Array, k: number): Float64Array {
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += A[i * k + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** Σ_{i<k} a_i b_i */
export function dotK(a: Float64Array, b: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += a[i]! * b[i]!;
  return s;
}

/** A binary min-heap of (key, index) pairs in preallocated typed arrays, for the Cauchy point's breakpoints. */
export class BreakpointHeap {
  private readonly keys: Float64Array;
  private readonly idx: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** Appends without ordering; call heapify() after the last push. */
  push(key: number, index: number): void {
    this.keys[this.size] = key;
    this.idx[this.size] = index;
    this.size++;
  }

  heapify(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  minKey(): number {
    return this.keys[0]!;
  }

  minIndex(): number {
    return this.idx[0]!;
  }

  pop(): void {
    this.size--;
    if (this.size > 0) {
      this.keys[0] = this.keys[this.size]!;
      this.idx[0] = this.idx[this.size]!;
      this.siftDown(0);
    }
  }

  private siftDown(i: number): void {
    const { keys, idx } = this;
    const n = this.size;
    const k = keys[i]!;
    const x = idx[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && keys[c + 1]! < keys[c]!) c++;
      if (keys[c]! >= k) break;
      keys[i] = keys[c]!;
      idx[i] = idx[c]!;
      i = c;
    }
    keys[i] = k;
    idx[i] = x;
  }
}
