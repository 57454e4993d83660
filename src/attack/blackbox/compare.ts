/**
 * The gradient-masking check between a white-box and a black-box attack at the same budgets: a black-box attack sees
 * strictly less than the gradient attack, so if it leaves LOWER robust accuracy at some eps (beyond a tolerance for
 * randomness), the white-box gradients are not telling the truth (masked or obfuscated: saturated softmax, non-smooth
 * or randomised layers) and the white-box numbers overstate robustness.
 */
export interface AccuracyAt {
  eps: number;
  accuracy: number;
}

export interface BlackWhiteComparison {
  verdict: "consistent" | "gradient-masking-suspected";
  /** Per eps present in both: accuracies and black − white (negative = black-box stronger). */
  rows: Array<{ eps: number; whiteBox: number; blackBox: number; gap: number; blackBoxStronger: boolean }>;
  /** One line for reports. */
  message: string;
}

/**
 * Compares robust accuracies per eps (matched within 1e-9). `tolerance` (default 0.02, i.e. 2 points) absorbs the
 * sampling noise of small evaluation sets: a black-box accuracy below white-box minus tolerance flags masking.
 */
export function compareWithWhiteBox(
  whiteBox: readonly AccuracyAt[],
  blackBox: readonly AccuracyAt[],
  options: { tolerance?: number; whiteName?: string; blackName?: string } = {},
): BlackWhiteComparison {
  const tol = options.tolerance ?? 0.02;
  const wn = options.whiteName ?? "white-box";
  const bn = options.blackName ?? "black-box";
  const rows: BlackWhiteComparison["rows"] = [];
  for (const b of blackBox) {
    const w = whiteBox.find((r) => Math.abs(r.eps - b.eps) <= 1e-9);
    if (!w || b.eps === 0) continue;
    const gap = b.accuracy - w.accuracy;
    rows.push({ eps: b.eps, whiteBox: w.accuracy, blackBox: b.accuracy, gap, blackBoxStronger: gap < -tol });
  }
  const stronger = rows.filter((r) => r.blackBoxStronger);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const message =
    rows.length === 0
      ? `no common eps between ${wn} and ${bn}: nothing compared`
      : stronger.length === 0
        ? `${bn} does not beat ${wn} at any common eps (within ${pct(tol)}): no sign of gradient masking`
        : `${bn} beats ${wn} at eps ${stronger.map((r) => `${r.eps} (${pct(r.blackBox)} vs ${pct(r.whiteBox)})`).join(", ")}: the gradients look masked; the ${wn} accuracy overstates robustness`;
  return { verdict: stronger.length > 0 ? "gradient-masking-suspected" : "consistent", rows, message };
}
