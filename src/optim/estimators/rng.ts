/** Seeded randomness for the estimators: mulberry32 uniforms, Rademacher signs and Box-Muller normals. */
import type { Uniform } from "../../random.js";

export { seededUniform, type Uniform } from "../../random.js";

/** Fills `out` with independent ±1 (Rademacher) entries. */
export function fillRademacher(out: Float64Array, rand: Uniform): void {
  for (let i = 0; i < out.length; i++) out[i] = rand() < 0.5 ? -1 : 1;
}

/** Fills `out` with independent standard normals (Box-Muller, both outputs used). */
export function fillGaussian(out: Float64Array, rand: Uniform): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rand(); // (0, 1]: log is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}
