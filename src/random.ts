/** Seeded uniforms shared by every part that must be reproducible (multi-start, training, estimators, examples). */

/** A generator of uniforms in [0, 1). */
export type Uniform = () => number;

/** mulberry32: a small, fast, seedable PRNG with uniforms in [0, 1). */
export function seededUniform(seed: number): Uniform {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
