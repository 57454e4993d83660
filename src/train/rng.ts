/** A small seeded PRNG (mulberry32) for reproducible shuffles, augmentation and random starts. */
import { seededUniform } from "../random.js";

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** A fresh 31-bit integer, e.g. to seed a tfjs random op. */
  int(): number;
}

export function mulberry32(seed: number): Rng {
  const next = seededUniform(seed);
  return { next, int: () => Math.floor(next() * 0x7fffffff) };
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
