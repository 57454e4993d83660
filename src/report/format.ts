/** Number formatting shared by reports and human CLI output: a few significant digits, never a silent NaN. */

/** `digits` significant digits; exponent form for very small or large magnitudes; "NaN"/"∞" spelled out. */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(Math.max(0, digits - 1)).replace("e+", "e");
  return String(Number(x.toPrecision(digits)));
}

/** A fraction in [0, 1] as a percentage with `decimals` decimals. */
export function formatPercent(x: number, decimals = 1): string {
  if (!Number.isFinite(x)) return formatNumber(x);
  return `${(x * 100).toFixed(decimals)}%`;
}

/** Seconds, human-sized: "850 ms", "12.3 s", "2 min 5 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatNumber(seconds);
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
