/*
 * gradopt's hand-written WebAssembly SIMD128 kernels for the tfjs wasm backend (see README.md beside this file).
 *
 * The module imports tfjs-backend-wasm's memory, so every pointer below is a byte offset into the tensors tfjs already
 * holds: no copies. It has no data, no stack use and no libc: each function is a leaf over its arguments (scalars
 * and v128 values live in wasm locals; scripts/build-simd.sh checks that the code never touches __stack_pointer).
 * Loads and stores are unaligned-safe (v128.load has no alignment requirement).
 *
 * Layouts are tfjs's: NHWC activations, [fh, fw, inC, outC] filters, row-major.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name))) __attribute__((visibility("default")))

/* Bumped whenever a kernel's contract changes; the loader refuses a module of another version. */
EXPORT(gradopt_simd_version) int gradopt_simd_version(void) { return 2; }

/*
 * MaxPoolGrad, 2x2 windows, stride 2, no padding, NHWC: each window's dy goes to its FIRST maximum in row-major window
 * order (strict >, starting from -inf, as tfjs's cpu backend: a window of NaN or -inf gets nothing), zeros elsewhere.
 * Writes the 4 * oh * ow * c elements the windows cover; rows/columns beyond 2*oh / 2*ow are the caller's.
 */
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int n, int ih, int iw, int c, int oh, int ow) {
  const int row = iw * c;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int b = 0; b < n; b++) {
    for (int yr = 0; yr < oh; yr++) {
      for (int yc = 0; yc < ow; yc++) {
        const int p00 = ((b * ih + 2 * yr) * iw + 2 * yc) * c;
        const int p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const float *g = dy + ((b * oh + yr) * ow + yc) * c;
        int k = 0;
        for (; k + 4 <= c; k += 4) {
          v128_t v00 = wasm_v128_load(x + p00 + k), v01 = wasm_v128_load(x + p01 + k);
          v128_t v10 = wasm_v128_load(x + p10 + k), v11 = wasm_v128_load(x + p11 + k);
          v128_t s0 = wasm_f32x4_gt(v00, ninf);
          v128_t m = wasm_v128_bitselect(v00, ninf, s0);
          v128_t s1 = wasm_f32x4_gt(v01, m);
          m = wasm_v128_bitselect(v01, m, s1);
          v128_t s2 = wasm_f32x4_gt(v10, m);
          m = wasm_v128_bitselect(v10, m, s2);
          v128_t s3 = wasm_f32x4_gt(v11, m);
          /* The last window position that raised the maximum is the first maximum. */
          v128_t later3 = s3, later2 = wasm_v128_or(s2, later3), later1 = wasm_v128_or(s1, later2);
          v128_t gv = wasm_v128_load(g + k);
          wasm_v128_store(dx + p00 + k, wasm_v128_and(gv, wasm_v128_andnot(s0, later1)));
          wasm_v128_store(dx + p01 + k, wasm_v128_and(gv, wasm_v128_andnot(s1, later2)));
          wasm_v128_store(dx + p10 + k, wasm_v128_and(gv, wasm_v128_andnot(s2, later3)));
          wasm_v128_store(dx + p11 + k, wasm_v128_and(gv, s3));
        }
        for (; k < c; k++) {
          const float v[4] = {x[p00 + k], x[p01 + k], x[p10 + k], x[p11 + k]};
          float m = -__builtin_inff();
          int at = -1;
          for (int j = 0; j < 4; j++)
            if (v[j] > m) {
              m = v[j];
              at = j;
            }
          dx[p00 + k] = at == 0 ? g[k] : 0.0f;
          dx[p01 + k] = at == 1 ? g[k] : 0.0f;
          dx[p10 + k] = at == 2 ? g[k] : 0.0f;
          dx[p11 + k] = at == 3 ? g[k] : 0.0f;
        }
      }
    }
  }
}

/* Sum of the four lanes. */
static inline float hsum(v128_t v) {
  v128_t s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

/* acc[0..3] += d[0..16) * f[0..16), four independent accumulators. */
#define MAC16(d, f)                                                                                                    \
  do {                                                                                                                 \
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load((d)), wasm_v128_load((f))));                                \
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load((d) + 4), wasm_v128_load((f) + 4)));                        \
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load((d) + 8), wasm_v128_load((f) + 8)));                        \
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load((d) + 12), wasm_v128_load((f) + 12)));                      \
  } while (0)

/*
 * Conv2DBackpropInput, stride 1, for few input channels (a first layer): for every dx element the dot product of
 * the dy pixels its taps reach with the filter row w[kh, kw, ic, :], over the co output channels (SIMD over co).
 *   dx[b, r, c, ic] = sum_{kh, kw} sum_k dy[b, r + padTop - kh, c + padLeft - kw, k] * w[kh, kw, ic, k]
 * where the dy index is inside [0, oh) x [0, ow). Four accumulators keep the additions independent. co a multiple
 * of 16 (the usual 16, 32, 64 filters) takes a loop with no remainder handling; a pixel whose 3x3 taps all fall
 * inside dy takes a fully unrolled body.
 */
EXPORT(conv2d_input_grad_s1)
void conv2d_input_grad_s1(const float *dy, const float *w, float *dx, int n, int ih, int iw, int ci, int oh, int ow,
                          int co, int fh, int fw, int pad_top, int pad_left) {
  float *out = dx;
  const int by16 = co % 16 == 0;
  const int is3x3 = by16 && fh == 3 && fw == 3;
  const int row = ow * co;
  for (int b = 0; b < n; b++) {
    const float *dyb = dy + b * oh * ow * co;
    for (int r = 0; r < ih; r++) {
      int kh_lo = r + pad_top - (oh - 1);
      if (kh_lo < 0) kh_lo = 0;
      int kh_hi = r + pad_top;
      if (kh_hi > fh - 1) kh_hi = fh - 1;
      for (int c = 0; c < iw; c++) {
        int kw_lo = c + pad_left - (ow - 1);
        if (kw_lo < 0) kw_lo = 0;
        int kw_hi = c + pad_left;
        if (kw_hi > fw - 1) kw_hi = fw - 1;
        if (is3x3 && kh_lo == 0 && kh_hi == 2 && kw_lo == 0 && kw_hi == 2) {
          /* Interior: dy pixel (r + pad_top - kh, c + pad_left - kw) for all nine taps. */
          const float *d22 = dyb + ((r + pad_top - 2) * ow + (c + pad_left - 2)) * co;
          for (int ic = 0; ic < ci; ic++, out++) {
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            const int tap = ci * co;
            const float *f = w + ic * co;
            for (int k = 0; k < co; k += 16) {
              MAC16(d22 + 2 * row + 2 * co + k, f + 0 * tap + k);
              MAC16(d22 + 2 * row + 1 * co + k, f + 1 * tap + k);
              MAC16(d22 + 2 * row + 0 * co + k, f + 2 * tap + k);
              MAC16(d22 + 1 * row + 2 * co + k, f + 3 * tap + k);
              MAC16(d22 + 1 * row + 1 * co + k, f + 4 * tap + k);
              MAC16(d22 + 1 * row + 0 * co + k, f + 5 * tap + k);
              MAC16(d22 + 0 * row + 2 * co + k, f + 6 * tap + k);
              MAC16(d22 + 0 * row + 1 * co + k, f + 7 * tap + k);
              MAC16(d22 + 0 * row + 0 * co + k, f + 8 * tap + k);
            }
            *out = hsum(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)));
          }
          continue;
        }
        for (int ic = 0; ic < ci; ic++, out++) {
          v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
          float tail = 0.0f;
          for (int kh = kh_lo; kh <= kh_hi; kh++) {
            const int y = r + pad_top - kh;
            for (int kw = kw_lo; kw <= kw_hi; kw++) {
              const float *d = dyb + (y * ow + c + pad_left - kw) * co;
              const float *f = w + ((kh * fw + kw) * ci + ic) * co;
              if (by16) {
                for (int k = 0; k < co; k += 16) MAC16(d + k, f + k);
                continue;
              }
              int k = 0;
              for (; k + 16 <= co; k += 16) MAC16(d + k, f + k);
              for (; k + 4 <= co; k += 4)
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(d + k), wasm_v128_load(f + k)));
              for (; k < co; k++) tail += d[k] * f[k];
            }
          }
          *out = hsum(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3))) + tail;
        }
      }
    }
  }
}

/* Sign, exact: 1 for x > 0, -1 for x < 0, +0 otherwise (0, -0, NaN). */
EXPORT(sign_f32)
void sign_f32(const float *x, float *out, int size) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f), minus = wasm_f32x4_splat(-1.0f);
  int i = 0;
  for (; i + 4 <= size; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t s = wasm_v128_or(wasm_v128_and(one, wasm_f32x4_gt(v, zero)), wasm_v128_and(minus, wasm_f32x4_lt(v, zero)));
    wasm_v128_store(out + i, s);
  }
  for (; i < size; i++) out[i] = x[i] > 0.0f ? 1.0f : x[i] < 0.0f ? -1.0f : 0.0f;
}

/* out[i, k] = x[i, k] + bias[k] for rows of c channels (a convolution's or dense layer's bias). */
EXPORT(bias_add_f32)
void bias_add_f32(const float *x, const float *bias, float *out, int rows, int c) {
  if (c % 4 != 0) {
    for (int i = 0; i < rows; i++, x += c, out += c)
      for (int k = 0; k < c; k++) out[k] = x[k] + bias[k];
    return;
  }
  for (int i = 0; i < rows; i++, x += c, out += c)
    for (int k = 0; k < c; k += 4)
      wasm_v128_store(out + k, wasm_f32x4_add(wasm_v128_load(x + k), wasm_v128_load(bias + k)));
}

/*
 * Relu's gradient: dy * step(x) with step(x) = 1 for x > 0, NaN for NaN, 0 otherwise, as tfjs's Step (so the product
 * keeps tfjs's rounding and NaN/inf behaviour exactly: 0 * inf = NaN).
 */
EXPORT(relu_grad_f32)
void relu_grad_f32(const float *dy, const float *x, float *out, int size) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= size; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t step = wasm_v128_or(wasm_v128_and(one, wasm_f32x4_gt(v, zero)), wasm_v128_andnot(v, wasm_f32x4_eq(v, v)));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), step));
  }
  for (; i < size; i++) {
    const float v = x[i];
    out[i] = dy[i] * (v > 0.0f ? 1.0f : v != v ? v : 0.0f);
  }
}

/*
 * One L-inf sign step with its projection, as the attack composes it from tensor ops, in float32 and the same order:
 *   u = sign(g) * alpha; z = x + u; z = min(max(z, x0 - eps), x0 + eps); out = min(max(z, lo), hi)
 * (sign exact as sign_f32). min/max of non-NaN values are exact, so this matches the composite bit for bit.
 */
EXPORT(linf_sign_step_f32)
void linf_sign_step_f32(const float *x, const float *g, const float *x0, float *out, int size, float alpha, float eps,
                        float lo, float hi) {
  const v128_t zero = wasm_f32x4_splat(0.0f), va = wasm_f32x4_splat(alpha), vm = wasm_f32x4_splat(-alpha);
  const v128_t ve = wasm_f32x4_splat(eps), vlo = wasm_f32x4_splat(lo), vhi = wasm_f32x4_splat(hi);
  int i = 0;
  for (; i + 4 <= size; i += 4) {
    v128_t gv = wasm_v128_load(g + i);
    v128_t u = wasm_v128_or(wasm_v128_and(va, wasm_f32x4_gt(gv, zero)), wasm_v128_and(vm, wasm_f32x4_lt(gv, zero)));
    v128_t c = wasm_v128_load(x0 + i);
    v128_t z = wasm_f32x4_add(wasm_v128_load(x + i), u);
    z = wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_sub(c, ve), z), wasm_f32x4_add(c, ve));
    z = wasm_f32x4_pmin(wasm_f32x4_pmax(vlo, z), vhi);
    wasm_v128_store(out + i, z);
  }
  for (; i < size; i++) {
    const float gv = g[i];
    const float u = gv > 0.0f ? alpha : gv < 0.0f ? -alpha : 0.0f;
    float z = x[i] + u;
    const float a = x0[i] - eps, b = x0[i] + eps;
    z = z < a ? a : z;
    z = z > b ? b : z;
    z = z < lo ? lo : z;
    out[i] = z > hi ? hi : z;
  }
}

/*
 * MaxPool, 2x2 windows, stride 2, no padding, NHWC: the maximum of each window as tfjs's cpu backend finds it
 * (running max from -inf with strict >: NaN is skipped, a window of NaN gives -inf).
 */
EXPORT(max_pool_2x2_f32)
void max_pool_2x2_f32(const float *x, float *y, int n, int ih, int iw, int c, int oh, int ow) {
  const int row = iw * c;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int b = 0; b < n; b++) {
    for (int yr = 0; yr < oh; yr++) {
      for (int yc = 0; yc < ow; yc++) {
        const float *p = x + ((b * ih + 2 * yr) * iw + 2 * yc) * c;
        float *out = y + ((b * oh + yr) * ow + yc) * c;
        int k = 0;
        for (; k + 4 <= c; k += 4) {
          v128_t m = ninf, v;
          v = wasm_v128_load(p + k);
          m = wasm_v128_bitselect(v, m, wasm_f32x4_gt(v, m));
          v = wasm_v128_load(p + c + k);
          m = wasm_v128_bitselect(v, m, wasm_f32x4_gt(v, m));
          v = wasm_v128_load(p + row + k);
          m = wasm_v128_bitselect(v, m, wasm_f32x4_gt(v, m));
          v = wasm_v128_load(p + row + c + k);
          m = wasm_v128_bitselect(v, m, wasm_f32x4_gt(v, m));
          wasm_v128_store(out + k, m);
        }
        for (; k < c; k++) {
          float m = -__builtin_inff();
          if (p[k] > m) m = p[k];
          if (p[c + k] > m) m = p[c + k];
          if (p[row + k] > m) m = p[row + k];
          if (p[row + c + k] > m) m = p[row + c + k];
          out[k] = m;
        }
      }
    }
  }
}

/*
 * Conv2D, stride 1, no dilation, for few input channels (a first layer) and co a multiple of 16:
 *   y[b, r, c, k] = sum_{kh, kw, ic} x[b, r - padTop + kh, c - padLeft + kw, ic] * w[kh, kw, ic, k]
 * over the taps inside x (zero padding), SIMD over 16 output channels at a time: each input value is splatted and
 * multiplied into four accumulators (no horizontal sums). XNNPACK's convolution spends most of its work on padding
 * when there is one input channel.
 */
EXPORT(conv2d_small_ci_s1)
void conv2d_small_ci_s1(const float *x, const float *w, float *y, int n, int ih, int iw, int ci, int oh, int ow, int co,
                        int fh, int fw, int pad_top, int pad_left) {
  float *out = y;
  for (int b = 0; b < n; b++) {
    const float *xb = x + b * ih * iw * ci;
    for (int r = 0; r < oh; r++) {
      int kh_lo = pad_top - r;
      if (kh_lo < 0) kh_lo = 0;
      int kh_hi = ih - 1 - r + pad_top;
      if (kh_hi > fh - 1) kh_hi = fh - 1;
      for (int c = 0; c < ow; c++) {
        int kw_lo = pad_left - c;
        if (kw_lo < 0) kw_lo = 0;
        int kw_hi = iw - 1 - c + pad_left;
        if (kw_hi > fw - 1) kw_hi = fw - 1;
        if (fh == 3 && fw == 3 && kh_lo == 0 && kh_hi == 2 && kw_lo == 0 && kw_hi == 2) {
          /* Interior pixel of a 3x3 filter: the nine taps unrolled, no bounds. */
          const float *x00 = xb + ((r - pad_top) * iw + (c - pad_left)) * ci;
          const int xrow = iw * ci, tap = ci * co;
          for (int k0 = 0; k0 < co; k0 += 16, out += 16) {
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int ic = 0; ic < ci; ic++) {
              const float *f = w + ic * co + k0;
#define TAP(kh, kw)                                                                                                    \
  do {                                                                                                                 \
    const v128_t v = wasm_v128_load32_splat(x00 + (kh) * xrow + (kw) * ci + ic);                                      \
    const float *g = f + ((kh) * 3 + (kw)) * tap;                                                                      \
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(v, wasm_v128_load(g)));                                                    \
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(v, wasm_v128_load(g + 4)));                                                \
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(v, wasm_v128_load(g + 8)));                                                \
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(v, wasm_v128_load(g + 12)));                                               \
  } while (0)
              TAP(0, 0);
              TAP(0, 1);
              TAP(0, 2);
              TAP(1, 0);
              TAP(1, 1);
              TAP(1, 2);
              TAP(2, 0);
              TAP(2, 1);
              TAP(2, 2);
#undef TAP
            }
            wasm_v128_store(out, a0);
            wasm_v128_store(out + 4, a1);
            wasm_v128_store(out + 8, a2);
            wasm_v128_store(out + 12, a3);
          }
          continue;
        }
        for (int k0 = 0; k0 < co; k0 += 16, out += 16) {
          v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
          for (int kh = kh_lo; kh <= kh_hi; kh++) {
            const float *xr = xb + ((r - pad_top + kh) * iw + (c - pad_left)) * ci;
            for (int kw = kw_lo; kw <= kw_hi; kw++) {
              const float *xp = xr + kw * ci;
              const float *f = w + (kh * fw + kw) * ci * co + k0;
              for (int ic = 0; ic < ci; ic++, f += co) {
                const v128_t v = wasm_v128_load32_splat(xp + ic);
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(v, wasm_v128_load(f)));
                a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(v, wasm_v128_load(f + 4)));
                a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(v, wasm_v128_load(f + 8)));
                a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(v, wasm_v128_load(f + 12)));
              }
            }
          }
          wasm_v128_store(out, a0);
          wasm_v128_store(out + 4, a1);
          wasm_v128_store(out + 8, a2);
          wasm_v128_store(out + 12, a3);
        }
      }
    }
  }
}

/* Relu as tfjs's cpu backend: x < 0 ? 0 : x (NaN kept). */
static inline v128_t relu4(v128_t v) {
  return wasm_v128_andnot(v, wasm_f32x4_lt(v, wasm_f32x4_splat(0.0f)));
}

/*
 * Conv2D 3x3, stride 1, by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016, "Fast algorithms for
 * convolutional neural networks"): each 2x2 output tile is A^T [ (G g G^T) . (B^T d B) ] A, so the 36 multiply-adds
 * per output pixel and channel pair of the direct convolution become 16 per tile of four: 2.25x fewer, in 16
 * independent matrix products [tiles, ci] x [ci, co]. SIMD128 has no fused multiply-add and 4 lanes, so it cannot
 * run the direct convolution faster than XNNPACK does (~34 GFLOP/s here, near its peak); fewer multiplications can.
 * Tiles go in chunks of `chunk` (a multiple of 4) so that the transformed inputs V and products M of a chunk stay in
 * cache. ci must be a multiple of 4 and co of 8. scratch: 16*ci*co (U) + 16*chunk*ci (V) + 16*chunk*co (M) floats.
 * bias (a null pointer: none) is added and relu (non-zero: x < 0 ? 0 : x, NaN kept) applied as the outputs are written.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], A^T = [1 1 1 0; 0 1 -1 -1]
 */
EXPORT(conv2d_winograd_3x3_s1)
void conv2d_winograd_3x3_s1(const float *x, const float *w, const float *bias, int relu, float *y, float *scratch, int n,
                            int ih, int iw, int ci, int oh, int ow, int co, int pad_top, int pad_left, int chunk) {
  float *U = scratch;
  float *V = U + 16 * ci * co;
  float *M = V + 16 * chunk * ci;
  const v128_t half = wasm_f32x4_splat(0.5f), zero = wasm_f32x4_splat(0.0f);

  /* U[xi][ic][k] = (G g G^T)[xi] for g = w[:, :, ic, k]. */
  for (int ic = 0; ic < ci; ic++) {
    for (int k = 0; k < co; k += 4) {
      v128_t g[3][3], t[4][3];
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) g[a][b] = wasm_v128_load(w + ((a * 3 + b) * ci + ic) * co + k);
      for (int b = 0; b < 3; b++) {
        t[0][b] = g[0][b];
        v128_t s = wasm_f32x4_add(g[0][b], g[2][b]);
        t[1][b] = wasm_f32x4_mul(wasm_f32x4_add(s, g[1][b]), half);
        t[2][b] = wasm_f32x4_mul(wasm_f32x4_sub(s, g[1][b]), half);
        t[3][b] = g[2][b];
      }
      for (int a = 0; a < 4; a++) {
        v128_t s = wasm_f32x4_add(t[a][0], t[a][2]);
        v128_t u[4] = {t[a][0], wasm_f32x4_mul(wasm_f32x4_add(s, t[a][1]), half),
                       wasm_f32x4_mul(wasm_f32x4_sub(s, t[a][1]), half), t[a][2]};
        for (int b = 0; b < 4; b++) wasm_v128_store(U + ((a * 4 + b) * ci + ic) * co + k, u[b]);
      }
    }
  }

  const int th = (oh + 1) / 2, tw = (ow + 1) / 2;
  const int tiles = n * th * tw;
  for (int t0 = 0; t0 < tiles; t0 += chunk) {
    const int tc = tiles - t0 < chunk ? tiles - t0 : chunk;
    /* V[xi][t][ic] = (B^T d B)[xi] for the 4x4 input patch d of tile t0 + t (zeros outside x). */
    for (int t = 0; t < tc; t++) {
      const int tile = t0 + t, b = tile / (th * tw), rem = tile % (th * tw);
      const int r0 = 2 * (rem / tw) - pad_top, c0 = 2 * (rem % tw) - pad_left;
      for (int ic = 0; ic < ci; ic += 4) {
        v128_t d[4][4], s[4][4];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) {
            const int r = r0 + i, c = c0 + j;
            d[i][j] = (r >= 0 && r < ih && c >= 0 && c < iw) ? wasm_v128_load(x + ((b * ih + r) * iw + c) * ci + ic)
                                                              : zero;
          }
        for (int j = 0; j < 4; j++) {
          s[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
          s[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
          s[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
          s[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
        }
        for (int i = 0; i < 4; i++) {
          float *v = V + ((i * 4) * chunk + t) * ci + ic;
          wasm_v128_store(v, wasm_f32x4_sub(s[i][0], s[i][2]));
          wasm_v128_store(v + chunk * ci, wasm_f32x4_add(s[i][1], s[i][2]));
          wasm_v128_store(v + 2 * chunk * ci, wasm_f32x4_sub(s[i][2], s[i][1]));
          wasm_v128_store(v + 3 * chunk * ci, wasm_f32x4_sub(s[i][1], s[i][3]));
        }
      }
    }
    /* M[xi] = V[xi] U[xi]: [tc, ci] x [ci, co], 4 tiles x 8 channels per register block. */
    for (int xi = 0; xi < 16; xi++) {
      const float *Vx = V + xi * chunk * ci, *Ux = U + xi * ci * co;
      float *Mx = M + xi * chunk * co;
      int t = 0;
      for (; t + 4 <= tc; t += 4) {
        const float *v0 = Vx + t * ci, *v1 = v0 + ci, *v2 = v1 + ci, *v3 = v2 + ci;
        for (int k = 0; k < co; k += 8) {
          v128_t a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
          const float *u = Ux + k;
          for (int q = 0; q < ci; q++, u += co) {
            const v128_t u0 = wasm_v128_load(u), u1 = wasm_v128_load(u + 4);
            v128_t s = wasm_v128_load32_splat(v0 + q);
            a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(s, u0));
            a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(s, u1));
            s = wasm_v128_load32_splat(v1 + q);
            a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(s, u0));
            a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(s, u1));
            s = wasm_v128_load32_splat(v2 + q);
            a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(s, u0));
            a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(s, u1));
            s = wasm_v128_load32_splat(v3 + q);
            a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(s, u0));
            a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(s, u1));
          }
          float *m = Mx + t * co + k;
          wasm_v128_store(m, a00);
          wasm_v128_store(m + 4, a01);
          wasm_v128_store(m + co, a10);
          wasm_v128_store(m + co + 4, a11);
          wasm_v128_store(m + 2 * co, a20);
          wasm_v128_store(m + 2 * co + 4, a21);
          wasm_v128_store(m + 3 * co, a30);
          wasm_v128_store(m + 3 * co + 4, a31);
        }
      }
      for (; t < tc; t++) {
        const float *v0 = Vx + t * ci;
        for (int k = 0; k < co; k += 8) {
          v128_t a00 = zero, a01 = zero;
          const float *u = Ux + k;
          for (int q = 0; q < ci; q++, u += co) {
            const v128_t s = wasm_v128_load32_splat(v0 + q);
            a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(s, wasm_v128_load(u)));
            a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(s, wasm_v128_load(u + 4)));
          }
          wasm_v128_store(Mx + t * co + k, a00);
          wasm_v128_store(Mx + t * co + k + 4, a01);
        }
      }
    }
    /* y tile = A^T m A, the 2x2 outputs inside [0, oh) x [0, ow). */
    for (int t = 0; t < tc; t++) {
      const int tile = t0 + t, b = tile / (th * tw), rem = tile % (th * tw);
      const int r0 = 2 * (rem / tw), c0 = 2 * (rem % tw);
      for (int k = 0; k < co; k += 4) {
        v128_t m[4][4], s[2][4];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) m[i][j] = wasm_v128_load(M + ((i * 4 + j) * chunk + t) * co + k);
        for (int j = 0; j < 4; j++) {
          s[0][j] = wasm_f32x4_add(wasm_f32x4_add(m[0][j], m[1][j]), m[2][j]);
          s[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(m[1][j], m[2][j]), m[3][j]);
        }
        const v128_t bk = bias ? wasm_v128_load(bias + k) : zero;
#define FINISH(v) (relu ? relu4(wasm_f32x4_add((v), bk)) : bias ? wasm_f32x4_add((v), bk) : (v))
        float *out = y + ((b * oh + r0) * ow + c0) * co + k;
        const int right = c0 + 1 < ow;
        wasm_v128_store(out, FINISH(wasm_f32x4_add(wasm_f32x4_add(s[0][0], s[0][1]), s[0][2])));
        if (right) wasm_v128_store(out + co, FINISH(wasm_f32x4_sub(wasm_f32x4_sub(s[0][1], s[0][2]), s[0][3])));
        if (r0 + 1 < oh) {
          out += ow * co;
          wasm_v128_store(out, FINISH(wasm_f32x4_add(wasm_f32x4_add(s[1][0], s[1][1]), s[1][2])));
          if (right) wasm_v128_store(out + co, FINISH(wasm_f32x4_sub(wasm_f32x4_sub(s[1][1], s[1][2]), s[1][3])));
        }
#undef FINISH
      }
    }
  }
}

/*
 * Conv2D 3x3, stride 1, ONE input channel (a grey-scale first layer) by Winograd F(2x2, 3x3): with a single input
 * channel the products need no sums over channels, so each tile's 16 transformed inputs multiply the transformed
 * filter and go straight through the output transform, in registers: 16 multiplies per 2x2 outputs instead of 36.
 * co a multiple of 4; scratch: 16*co floats (U); bias and relu as in conv2d_winograd_3x3_s1.
 */
EXPORT(conv2d_winograd_3x3_ci1)
void conv2d_winograd_3x3_ci1(const float *x, const float *w, const float *bias, int relu, float *y, float *scratch,
                             int n, int ih, int iw, int oh, int ow, int co, int pad_top, int pad_left) {
  float *U = scratch;
  const v128_t half = wasm_f32x4_splat(0.5f), zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < co; k += 4) {
    v128_t g[3][3], t[4][3];
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) g[a][b] = wasm_v128_load(w + (a * 3 + b) * co + k);
    for (int b = 0; b < 3; b++) {
      t[0][b] = g[0][b];
      v128_t s = wasm_f32x4_add(g[0][b], g[2][b]);
      t[1][b] = wasm_f32x4_mul(wasm_f32x4_add(s, g[1][b]), half);
      t[2][b] = wasm_f32x4_mul(wasm_f32x4_sub(s, g[1][b]), half);
      t[3][b] = g[2][b];
    }
    for (int a = 0; a < 4; a++) {
      v128_t s = wasm_f32x4_add(t[a][0], t[a][2]);
      wasm_v128_store(U + (a * 4 + 0) * co + k, t[a][0]);
      wasm_v128_store(U + (a * 4 + 1) * co + k, wasm_f32x4_mul(wasm_f32x4_add(s, t[a][1]), half));
      wasm_v128_store(U + (a * 4 + 2) * co + k, wasm_f32x4_mul(wasm_f32x4_sub(s, t[a][1]), half));
      wasm_v128_store(U + (a * 4 + 3) * co + k, t[a][2]);
    }
  }
  const int th = (oh + 1) / 2, tw = (ow + 1) / 2;
  for (int b = 0; b < n; b++) {
    const float *xb = x + b * ih * iw;
    for (int ty = 0; ty < th; ty++) {
      for (int tx = 0; tx < tw; tx++) {
        const int r0 = 2 * ty - pad_top, c0 = 2 * tx - pad_left;
        float d[4][4], s[4][4], v[4][4];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) {
            const int r = r0 + i, c = c0 + j;
            d[i][j] = (r >= 0 && r < ih && c >= 0 && c < iw) ? xb[r * iw + c] : 0.0f;
          }
        for (int j = 0; j < 4; j++) {
          s[0][j] = d[0][j] - d[2][j];
          s[1][j] = d[1][j] + d[2][j];
          s[2][j] = d[2][j] - d[1][j];
          s[3][j] = d[1][j] - d[3][j];
        }
        for (int i = 0; i < 4; i++) {
          v[i][0] = s[i][0] - s[i][2];
          v[i][1] = s[i][1] + s[i][2];
          v[i][2] = s[i][2] - s[i][1];
          v[i][3] = s[i][1] - s[i][3];
        }
        const int oy = 2 * ty, ox = 2 * tx;
        const int right = ox + 1 < ow, down = oy + 1 < oh;
        float *out = y + ((b * oh + oy) * ow + ox) * co;
        for (int k = 0; k < co; k += 4) {
          v128_t m[4][4], q[2][4];
          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
              m[i][j] = wasm_f32x4_mul(wasm_f32x4_splat(v[i][j]), wasm_v128_load(U + (i * 4 + j) * co + k));
          for (int j = 0; j < 4; j++) {
            q[0][j] = wasm_f32x4_add(wasm_f32x4_add(m[0][j], m[1][j]), m[2][j]);
            q[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(m[1][j], m[2][j]), m[3][j]);
          }
          const v128_t bk = bias ? wasm_v128_load(bias + k) : zero;
#define FINISH(val) (relu ? relu4(wasm_f32x4_add((val), bk)) : bias ? wasm_f32x4_add((val), bk) : (val))
          wasm_v128_store(out + k, FINISH(wasm_f32x4_add(wasm_f32x4_add(q[0][0], q[0][1]), q[0][2])));
          if (right) wasm_v128_store(out + co + k, FINISH(wasm_f32x4_sub(wasm_f32x4_sub(q[0][1], q[0][2]), q[0][3])));
          if (down) {
            float *o2 = out + ow * co + k;
            wasm_v128_store(o2, FINISH(wasm_f32x4_add(wasm_f32x4_add(q[1][0], q[1][1]), q[1][2])));
            if (right) wasm_v128_store(o2 + co, FINISH(wasm_f32x4_sub(wasm_f32x4_sub(q[1][1], q[1][2]), q[1][3])));
          }
#undef FINISH
        }
      }
    }
  }
}

/*
 * A 3x3 stride-1 correlation with ONE output channel by Winograd F(2x2, 3x3): the input gradient of a grey-scale
 * first layer (dx = dy correlated with the flipped filter, over dy's c channels). Products are summed over channels
 * as 4-lane vectors and the (linear) output transform is applied to those vectors, so only the four outputs of a tile
 * need horizontal sums. c a multiple of 4.
 *   y[b, r, col] = sum_{a, e, k} x[b, r - pad_top + a, col - pad_left + e, k] * f(a, e, k)
 * with f(a, e, k) = w[(2 - a) * 3 + (2 - e)][k] when flip (a Conv2DBackpropInput of a filter [3, 3, 1, c]), else
 * w[a * 3 + e][k]. scratch: 16*c floats (U).
 */
EXPORT(corr_winograd_3x3_co1)
void corr_winograd_3x3_co1(const float *x, const float *w, int flip, float *y, float *scratch, int n, int ih, int iw,
                           int c, int oh, int ow, int pad_top, int pad_left) {
  float *U = scratch;
  const v128_t half = wasm_f32x4_splat(0.5f), zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < c; k += 4) {
    v128_t g[3][3], t[4][3];
    for (int a = 0; a < 3; a++)
      for (int e = 0; e < 3; e++) g[a][e] = wasm_v128_load(w + (flip ? (2 - a) * 3 + (2 - e) : a * 3 + e) * c + k);
    for (int e = 0; e < 3; e++) {
      t[0][e] = g[0][e];
      v128_t s = wasm_f32x4_add(g[0][e], g[2][e]);
      t[1][e] = wasm_f32x4_mul(wasm_f32x4_add(s, g[1][e]), half);
      t[2][e] = wasm_f32x4_mul(wasm_f32x4_sub(s, g[1][e]), half);
      t[3][e] = g[2][e];
    }
    for (int a = 0; a < 4; a++) {
      v128_t s = wasm_f32x4_add(t[a][0], t[a][2]);
      wasm_v128_store(U + (a * 4 + 0) * c + k, t[a][0]);
      wasm_v128_store(U + (a * 4 + 1) * c + k, wasm_f32x4_mul(wasm_f32x4_add(s, t[a][1]), half));
      wasm_v128_store(U + (a * 4 + 2) * c + k, wasm_f32x4_mul(wasm_f32x4_sub(s, t[a][1]), half));
      wasm_v128_store(U + (a * 4 + 3) * c + k, t[a][2]);
    }
  }
  const int th = (oh + 1) / 2, tw = (ow + 1) / 2;
  for (int b = 0; b < n; b++) {
    const float *xb = x + b * ih * iw * c;
    for (int ty = 0; ty < th; ty++) {
      for (int tx = 0; tx < tw; tx++) {
        const int r0 = 2 * ty - pad_top, c0 = 2 * tx - pad_left;
        const int inside = r0 >= 0 && r0 + 3 < ih && c0 >= 0 && c0 + 3 < iw;
        v128_t p[4][4];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) p[i][j] = zero;
        for (int k = 0; k < c; k += 4) {
          v128_t d[4][4], s[4][4];
          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
              const int r = r0 + i, col = c0 + j;
              d[i][j] = (inside || (r >= 0 && r < ih && col >= 0 && col < iw))
                            ? wasm_v128_load(xb + (r * iw + col) * c + k)
                            : zero;
            }
          for (int j = 0; j < 4; j++) {
            s[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
            s[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
            s[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
            s[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
          }
          for (int i = 0; i < 4; i++) {
            const float *u = U + (i * 4) * c + k;
            p[i][0] = wasm_f32x4_add(p[i][0], wasm_f32x4_mul(wasm_f32x4_sub(s[i][0], s[i][2]), wasm_v128_load(u)));
            p[i][1] = wasm_f32x4_add(p[i][1], wasm_f32x4_mul(wasm_f32x4_add(s[i][1], s[i][2]), wasm_v128_load(u + c)));
            p[i][2] =
                wasm_f32x4_add(p[i][2], wasm_f32x4_mul(wasm_f32x4_sub(s[i][2], s[i][1]), wasm_v128_load(u + 2 * c)));
            p[i][3] =
                wasm_f32x4_add(p[i][3], wasm_f32x4_mul(wasm_f32x4_sub(s[i][1], s[i][3]), wasm_v128_load(u + 3 * c)));
          }
        }
        v128_t q[2][4];
        for (int j = 0; j < 4; j++) {
          q[0][j] = wasm_f32x4_add(wasm_f32x4_add(p[0][j], p[1][j]), p[2][j]);
          q[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(p[1][j], p[2][j]), p[3][j]);
        }
        const int oy = 2 * ty, ox = 2 * tx;
        float *out = y + (b * oh + oy) * ow + ox;
        out[0] = hsum(wasm_f32x4_add(wasm_f32x4_add(q[0][0], q[0][1]), q[0][2]));
        if (ox + 1 < ow) out[1] = hsum(wasm_f32x4_sub(wasm_f32x4_sub(q[0][1], q[0][2]), q[0][3]));
        if (oy + 1 < oh) {
          out[ow] = hsum(wasm_f32x4_add(wasm_f32x4_add(q[1][0], q[1][1]), q[1][2]));
          if (ox + 1 < ow) out[ow + 1] = hsum(wasm_f32x4_sub(wasm_f32x4_sub(q[1][1], q[1][2]), q[1][3]));
        }
      }
    }
  }
}

/*
 * relu(maxPool2x2(x)) in one pass (= maxPool2x2(relu(x)) for inputs that are not all NaN in a window): a ReLU layer
 * followed by 2x2 max pooling, fused by the attack's gradient fast path (src/attack/model.ts).
 */
EXPORT(relu_max_pool_2x2_f32)
void relu_max_pool_2x2_f32(const float *x, float *y, int n, int ih, int iw, int c, int oh, int ow) {
  max_pool_2x2_f32(x, y, n, ih, iw, c, oh, ow);
  const int size = n * oh * ow * c;
  int i = 0;
  for (; i + 4 <= size; i += 4) wasm_v128_store(y + i, relu4(wasm_v128_load(y + i)));
  for (; i < size; i++) y[i] = y[i] < 0.0f ? 0.0f : y[i];
}

/*
 * The gradient of relu_max_pool_2x2_f32 with respect to x: each window's dy goes to its first maximum when that
 * maximum is > 0, nothing otherwise. Equals MaxPoolGrad followed by Relu's gradient for finite x (which would give
 * NaN where x is NaN). Writes the windows' 4 * oh * ow * c elements, as max_pool_grad_2x2.
 */
EXPORT(relu_max_pool_grad_2x2)
void relu_max_pool_grad_2x2(const float *x, const float *dy, float *dx, int n, int ih, int iw, int c, int oh,
                            int ow) {
  const int row = iw * c;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff()), zero = wasm_f32x4_splat(0.0f);
  for (int b = 0; b < n; b++) {
    for (int yr = 0; yr < oh; yr++) {
      for (int yc = 0; yc < ow; yc++) {
        const int p00 = ((b * ih + 2 * yr) * iw + 2 * yc) * c;
        const int p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const float *g = dy + ((b * oh + yr) * ow + yc) * c;
        int k = 0;
        for (; k + 4 <= c; k += 4) {
          v128_t v00 = wasm_v128_load(x + p00 + k), v01 = wasm_v128_load(x + p01 + k);
          v128_t v10 = wasm_v128_load(x + p10 + k), v11 = wasm_v128_load(x + p11 + k);
          v128_t s0 = wasm_f32x4_gt(v00, ninf);
          v128_t m = wasm_v128_bitselect(v00, ninf, s0);
          v128_t s1 = wasm_f32x4_gt(v01, m);
          m = wasm_v128_bitselect(v01, m, s1);
          v128_t s2 = wasm_f32x4_gt(v10, m);
          m = wasm_v128_bitselect(v10, m, s2);
          v128_t s3 = wasm_f32x4_gt(v11, m);
          m = wasm_v128_bitselect(v11, m, s3);
          v128_t later3 = s3, later2 = wasm_v128_or(s2, later3), later1 = wasm_v128_or(s1, later2);
          v128_t gv = wasm_v128_and(wasm_v128_load(g + k), wasm_f32x4_gt(m, zero));
          wasm_v128_store(dx + p00 + k, wasm_v128_and(gv, wasm_v128_andnot(s0, later1)));
          wasm_v128_store(dx + p01 + k, wasm_v128_and(gv, wasm_v128_andnot(s1, later2)));
          wasm_v128_store(dx + p10 + k, wasm_v128_and(gv, wasm_v128_andnot(s2, later3)));
          wasm_v128_store(dx + p11 + k, wasm_v128_and(gv, s3));
        }
        for (; k < c; k++) {
          const float v0 = x[p00 + k], v1 = x[p01 + k], v2 = x[p10 + k], v3 = x[p11 + k];
          float m = -__builtin_inff();
          int at = -1;
          if (v0 > m) m = v0, at = 0;
          if (v1 > m) m = v1, at = 1;
          if (v2 > m) m = v2, at = 2;
          if (v3 > m) m = v3, at = 3;
          const float gv = m > 0.0f ? g[k] : 0.0f;
          dx[p00 + k] = at == 0 ? gv : 0.0f;
          dx[p01 + k] = at == 1 ? gv : 0.0f;
          dx[p10 + k] = at == 2 ? gv : 0.0f;
          dx[p11 + k] = at == 3 ? gv : 0.0f;
        }
      }
    }
  }
}
