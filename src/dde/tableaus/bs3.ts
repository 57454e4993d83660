import type { ButcherTableau } from "./types.js";

/**
 * Bogacki-Shampine 3(2), FSAL, with the cubic Hermite continuous extension (third order) — the pair of MATLAB's ode23
 * and dde23. P. Bogacki, L. F. Shampine, Appl. Math. Lett. 2 (1989) 321-325.
 */
export const BS3: ButcherTableau = {
  name: "BS3",
  order: 3,
  embeddedOrder: 2,
  denseOrder: 3,
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  btilde: [5 / 72, -1 / 12, -1 / 9, 1 / 8],
  fsal: true,
  // Hermite interpolation through y_n, y_{n+1}, f_n, f_{n+1} written in stage weights.
  dense: [
    [1, -4 / 3, 5 / 9],
    [0, 1, -2 / 3],
    [0, 4 / 3, -8 / 9],
    [0, -1, 1],
  ],
};
