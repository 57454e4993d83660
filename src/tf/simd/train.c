// Weight-gradient kernels for the wasm backend, compiled to wasm SIMD128 (scripts/build-simd.sh). They run on
// tfjs-wasm's own linear memory (imported), on tensor byte offsets; no stack, no static data, no allocation.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// xp[b, r, c, :] = x[b, r - pt, c - pl, :] inside x, 0 outside: the zero-padded input window of a convolution
// (Hp x Wp rows/columns). Padding turns every tap of the filter gradient into a loop without bounds checks.
EXPORT(pad_nhwc)
void pad_nhwc(const float *x, int batch, int h, int w, int c, float *xp, int hp, int wp, int pt, int pl) {
  for (int b = 0; b < batch; b++) {
    for (int r = 0; r < hp; r++) {
      float *dst = xp + ((long)(b * hp + r) * wp) * c;
      int ir = r - pt;
      if (ir < 0 || ir >= h) {
        for (int k = 0; k < wp * c; k++) dst[k] = 0.0f;
        continue;
      }
      const float *src = x + ((long)(b * h + ir) * w) * c;
      for (int col = 0; col < wp; col++) {
        int ic = col - pl;
        float *d = dst + col * c;
        if (ic < 0 || ic >= w) {
          for (int k = 0; k < c; k++) d[k] = 0.0f;
        } else {
          const float *s = src + ic * c;
          for (int k = 0; k < c; k++) d[k] = s[k];
        }
      }
    }
  }
}

// One block of the filter gradient: 4 consecutive (kw, ci) entries j0..j0+3 of filter row kh times 8 (or 4) output
// channels from c0, summed over every output pixel of image b, added to dw. In the padded input the KW*C values a
// tap row reads for output column ow are contiguous (dilation 1): xp[b, oh*sh + kh, ow*sw*C + j]. Accumulators are
// named variables, not arrays: an array would live on the linear-memory stack, which this module must not use.
#define MAC(acc, a, g) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, g))
#define STORE_ROW(r, acc, off)                                                                                   \
  if (r < jn) {                                                                                                  \
    float *o = dw + ((long)(kh * jt + j0 + r)) * co + c0 + off;                                                  \
    wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), acc));                                                  \
  }

static void filter_block_8(const float *xp, int hp, int wp, int c, const float *dy, int oh_n, int ow_n, int co,
                           int b, int kh, int j0, int jn, int c0, int sh, int sw, float *dw, int jt) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (int oh = 0; oh < oh_n; oh++) {
    const float *xo = xp + ((long)(b * hp + oh * sh + kh) * wp) * c + j0;
    const float *d = dy + ((long)(b * oh_n + oh) * ow_n) * co + c0;
    for (int ow = 0; ow < ow_n; ow++, xo += sw * c, d += co) {
      v128_t g0 = wasm_v128_load(d), g1 = wasm_v128_load(d + 4);
      v128_t x0 = wasm_v128_load32_splat(xo), x1 = wasm_v128_load32_splat(xo + 1);
      v128_t x2 = wasm_v128_load32_splat(xo + 2), x3 = wasm_v128_load32_splat(xo + 3);
      MAC(a00, x0, g0);
      MAC(a01, x0, g1);
      MAC(a10, x1, g0);
      MAC(a11, x1, g1);
      MAC(a20, x2, g0);
      MAC(a21, x2, g1);
      MAC(a30, x3, g0);
      MAC(a31, x3, g1);
    }
  }
  STORE_ROW(0, a00, 0) STORE_ROW(0, a01, 4) STORE_ROW(1, a10, 0) STORE_ROW(1, a11, 4)
  STORE_ROW(2, a20, 0) STORE_ROW(2, a21, 4) STORE_ROW(3, a30, 0) STORE_ROW(3, a31, 4)
}

static void filter_block_4(const float *xp, int hp, int wp, int c, const float *dy, int oh_n, int ow_n, int co,
                           int b, int kh, int j0, int jn, int c0, int sh, int sw, float *dw, int jt) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  for (int oh = 0; oh < oh_n; oh++) {
    const float *xo = xp + ((long)(b * hp + oh * sh + kh) * wp) * c + j0;
    const float *d = dy + ((long)(b * oh_n + oh) * ow_n) * co + c0;
    for (int ow = 0; ow < ow_n; ow++, xo += sw * c, d += co) {
      v128_t g = wasm_v128_load(d);
      MAC(a0, wasm_v128_load32_splat(xo), g);
      MAC(a1, wasm_v128_load32_splat(xo + 1), g);
      MAC(a2, wasm_v128_load32_splat(xo + 2), g);
      MAC(a3, wasm_v128_load32_splat(xo + 3), g);
    }
  }
  STORE_ROW(0, a0, 0) STORE_ROW(1, a1, 0) STORE_ROW(2, a2, 0) STORE_ROW(3, a3, 0)
}

// dw[kh, kw, ci, co] = sum_{b, oh, ow} xp[b, oh*sh + kh, ow*sw + kw, ci] * dy[b, oh, ow, co] (xp from pad_nhwc;
// co a multiple of 4). Image by image, so that one image's input window and dy stay in cache across all blocks.
// xp must have 3 readable floats after its end (the last block of 4 may read past KW*C).
EXPORT(conv_filter_grad)
void conv_filter_grad(const float *xp, int batch, int hp, int wp, int c, const float *dy, int oh_n, int ow_n,
                      int co, int kh_n, int kw_n, int sh, int sw, float *dw) {
  int jt = kw_n * c;
  for (long k = 0; k < (long)kh_n * jt * co; k++) dw[k] = 0.0f;
  for (int b = 0; b < batch; b++) {
    for (int kh = 0; kh < kh_n; kh++) {
      for (int j0 = 0; j0 < jt; j0 += 4) {
        int jn = jt - j0 < 4 ? jt - j0 : 4;
        int c0 = 0;
        for (; c0 + 8 <= co; c0 += 8)
          filter_block_8(xp, hp, wp, c, dy, oh_n, ow_n, co, b, kh, j0, jn, c0, sh, sw, dw, jt);
        for (; c0 < co; c0 += 4)
          filter_block_4(xp, hp, wp, c, dy, oh_n, ow_n, co, b, kh, j0, jn, c0, sh, sw, dw, jt);
      }
    }
  }
}

// out[j] = sum_i x[i * cols + j]: a bias gradient (dy summed over batch and pixels). Blocks of 16 columns in
// registers; rows summed in chunks of 256 into the output, so a long column is not one long float32 chain.
EXPORT(column_sums)
void column_sums(const float *x, int rows, int cols, float *out) {
  for (int j = 0; j < cols; j++) out[j] = 0.0f;
  int j0 = 0;
  for (; j0 + 16 <= cols; j0 += 16) {
    for (int r0 = 0; r0 < rows; r0 += 256) {
      int r1 = r0 + 256 < rows ? r0 + 256 : rows;
      v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      for (int r = r0; r < r1; r++) {
        const float *p = x + (long)r * cols + j0;
        a0 = wasm_f32x4_add(a0, wasm_v128_load(p));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(p + 4));
        a2 = wasm_f32x4_add(a2, wasm_v128_load(p + 8));
        a3 = wasm_f32x4_add(a3, wasm_v128_load(p + 12));
      }
      float *o = out + j0;
      wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), a0));
      wasm_v128_store(o + 4, wasm_f32x4_add(wasm_v128_load(o + 4), a1));
      wasm_v128_store(o + 8, wasm_f32x4_add(wasm_v128_load(o + 8), a2));
      wasm_v128_store(o + 12, wasm_f32x4_add(wasm_v128_load(o + 12), a3));
    }
  }
  for (; j0 + 4 <= cols; j0 += 4) {
    for (int r0 = 0; r0 < rows; r0 += 256) {
      int r1 = r0 + 256 < rows ? r0 + 256 : rows;
      v128_t a = wasm_f32x4_splat(0.0f);
      for (int r = r0; r < r1; r++) a = wasm_f32x4_add(a, wasm_v128_load(x + (long)r * cols + j0));
      wasm_v128_store(out + j0, wasm_f32x4_add(wasm_v128_load(out + j0), a));
    }
  }
  for (; j0 < cols; j0++) {
    for (int r0 = 0; r0 < rows; r0 += 256) {
      int r1 = r0 + 256 < rows ? r0 + 256 : rows;
      float a = 0.0f;
      for (int r = r0; r < r1; r++) a += x[(long)r * cols + j0];
      out[j0] += a;
    }
  }
}

// C[M, N] = A B with A(m, k) at a[m * sam + k * sak] (a matrix or its transpose, no copy) and B row-major [K, N]
// (row stride ldb), C row-major (row stride ldc); N a multiple of 4. A dense layer's forward pass and both of its
// gradients (dW = x^T dy is A = x read transposed). Register blocks of 4 rows x 8 (or 4) columns; K in chunks of 256
// so that the A rows and B rows of a chunk stay in L2 while every block of C passes over them.
#define GEMM_KC 256
static void gemm_block_8(const float *a0, const float *a1, const float *a2, const float *a3, int sak,
                         const float *b, int ldb, int kn, float *c, int ldc, int rows, int first) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  } else {
    c00 = wasm_v128_load(c), c01 = wasm_v128_load(c + 4);
    c10 = rows > 1 ? wasm_v128_load(c + ldc) : c00, c11 = rows > 1 ? wasm_v128_load(c + ldc + 4) : c01;
    c20 = rows > 2 ? wasm_v128_load(c + 2 * ldc) : c00, c21 = rows > 2 ? wasm_v128_load(c + 2 * ldc + 4) : c01;
    c30 = rows > 3 ? wasm_v128_load(c + 3 * ldc) : c00, c31 = rows > 3 ? wasm_v128_load(c + 3 * ldc + 4) : c01;
  }
  for (int k = 0; k < kn; k++, b += ldb) {
    v128_t g0 = wasm_v128_load(b), g1 = wasm_v128_load(b + 4);
    v128_t x0 = wasm_v128_load32_splat(a0 + k * sak), x1 = wasm_v128_load32_splat(a1 + k * sak);
    v128_t x2 = wasm_v128_load32_splat(a2 + k * sak), x3 = wasm_v128_load32_splat(a3 + k * sak);
    MAC(c00, x0, g0);
    MAC(c01, x0, g1);
    MAC(c10, x1, g0);
    MAC(c11, x1, g1);
    MAC(c20, x2, g0);
    MAC(c21, x2, g1);
    MAC(c30, x3, g0);
    MAC(c31, x3, g1);
  }
  wasm_v128_store(c, c00), wasm_v128_store(c + 4, c01);
  if (rows > 1) wasm_v128_store(c + ldc, c10), wasm_v128_store(c + ldc + 4, c11);
  if (rows > 2) wasm_v128_store(c + 2 * ldc, c20), wasm_v128_store(c + 2 * ldc + 4, c21);
  if (rows > 3) wasm_v128_store(c + 3 * ldc, c30), wasm_v128_store(c + 3 * ldc + 4, c31);
}

static void gemm_block_4(const float *a0, const float *a1, const float *a2, const float *a3, int sak,
                         const float *b, int ldb, int kn, float *c, int ldc, int rows, int first) {
  v128_t c0, c1, c2, c3;
  if (first) {
    c0 = c1 = c2 = c3 = wasm_f32x4_splat(0.0f);
  } else {
    c0 = wasm_v128_load(c);
    c1 = rows > 1 ? wasm_v128_load(c + ldc) : c0;
    c2 = rows > 2 ? wasm_v128_load(c + 2 * ldc) : c0;
    c3 = rows > 3 ? wasm_v128_load(c + 3 * ldc) : c0;
  }
  for (int k = 0; k < kn; k++, b += ldb) {
    v128_t g = wasm_v128_load(b);
    MAC(c0, wasm_v128_load32_splat(a0 + k * sak), g);
    MAC(c1, wasm_v128_load32_splat(a1 + k * sak), g);
    MAC(c2, wasm_v128_load32_splat(a2 + k * sak), g);
    MAC(c3, wasm_v128_load32_splat(a3 + k * sak), g);
  }
  wasm_v128_store(c, c0);
  if (rows > 1) wasm_v128_store(c + ldc, c1);
  if (rows > 2) wasm_v128_store(c + 2 * ldc, c2);
  if (rows > 3) wasm_v128_store(c + 3 * ldc, c3);
}

// accumulate != 0: C += A B (the Winograd filter gradient sums products over chunks of tiles).
static void gemm(const float *a, int sam, int sak, const float *b, int ldb, float *c, int ldc, int m_n, int n_n,
                 int k_n, int accumulate) {
  for (int k0 = 0; k0 < k_n || k0 == 0; k0 += GEMM_KC) {
    int kn = k_n - k0 < GEMM_KC ? k_n - k0 : GEMM_KC;
    for (int m0 = 0; m0 < m_n; m0 += 4) {
      int rows = m_n - m0 < 4 ? m_n - m0 : 4;
      // Rows past M read row m0 again (never stored), so no read leaves A.
      const float *a0 = a + (long)m0 * sam + (long)k0 * sak;
      const float *a1 = rows > 1 ? a0 + sam : a0;
      const float *a2 = rows > 2 ? a0 + 2 * sam : a0;
      const float *a3 = rows > 3 ? a0 + 3 * sam : a0;
      const float *bk = b + (long)k0 * ldb;
      float *cm = c + (long)m0 * ldc;
      int n0 = 0;
      for (; n0 + 8 <= n_n; n0 += 8)
        gemm_block_8(a0, a1, a2, a3, sak, bk + n0, ldb, kn, cm + n0, ldc, rows, k0 == 0 && !accumulate);
      for (; n0 < n_n; n0 += 4)
        gemm_block_4(a0, a1, a2, a3, sak, bk + n0, ldb, kn, cm + n0, ldc, rows, k0 == 0 && !accumulate);
    }
    if (k_n == 0) break;
  }
}

EXPORT(gemm_f32)
void gemm_f32(const float *a, int sam, int sak, const float *b, int ldb, float *c, int ldc, int m_n, int n_n,
              int k_n) {
  gemm(a, sam, sak, b, ldb, c, ldc, m_n, n_n, k_n, 0);
}

// Forward convolution, NHWC, dilation 1, on the zero-padded input window of pad_nhwc:
// out[b, oh, ow, co] = act(bias[co] + sum_{kh, j} xp[b, oh*sh + kh, ow*sw*C + j] * w[kh, j, co]), j over (kw, ci).
// Register blocks of 4 output pixels of one row x 8 (or 4) output channels; the filter column block and the input
// rows of one output row stay in L1. co a multiple of 4; bias may be 0 (none); relu != 0 applies max(0, .).
#define CONV_STORE(px, acc, off)                                                                                 \
  if (px < pn) {                                                                                                 \
    v128_t r = wasm_f32x4_add(acc, bias_##off);                                                                  \
    wasm_v128_store(o + px * co + off, relu ? wasm_f32x4_max(r, zero) : r);                                     \
  }

static void conv_block_8(const float *x0, const float *x1, const float *x2, const float *x3, int kh_n, int jt,
                         int row, const float *w, int co, float *o, int pn, v128_t bias_0, v128_t bias_4, int relu) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  const v128_t zero = a00;
  for (int kh = 0; kh < kh_n; kh++) {
    const float *wk = w + (long)kh * jt * co;
    int xo = kh * row;
    for (int j = 0; j < jt; j++, wk += co) {
      v128_t g0 = wasm_v128_load(wk), g1 = wasm_v128_load(wk + 4);
      v128_t v0 = wasm_v128_load32_splat(x0 + xo + j), v1 = wasm_v128_load32_splat(x1 + xo + j);
      v128_t v2 = wasm_v128_load32_splat(x2 + xo + j), v3 = wasm_v128_load32_splat(x3 + xo + j);
      MAC(a00, v0, g0);
      MAC(a01, v0, g1);
      MAC(a10, v1, g0);
      MAC(a11, v1, g1);
      MAC(a20, v2, g0);
      MAC(a21, v2, g1);
      MAC(a30, v3, g0);
      MAC(a31, v3, g1);
    }
  }
  CONV_STORE(0, a00, 0) CONV_STORE(0, a01, 4) CONV_STORE(1, a10, 0) CONV_STORE(1, a11, 4)
  CONV_STORE(2, a20, 0) CONV_STORE(2, a21, 4) CONV_STORE(3, a30, 0) CONV_STORE(3, a31, 4)
}

static void conv_block_4(const float *x0, const float *x1, const float *x2, const float *x3, int kh_n, int jt,
                         int row, const float *w, int co, float *o, int pn, v128_t bias_0, int relu) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  const v128_t zero = a0;
  for (int kh = 0; kh < kh_n; kh++) {
    const float *wk = w + (long)kh * jt * co;
    int xo = kh * row;
    for (int j = 0; j < jt; j++, wk += co) {
      v128_t g = wasm_v128_load(wk);
      MAC(a0, wasm_v128_load32_splat(x0 + xo + j), g);
      MAC(a1, wasm_v128_load32_splat(x1 + xo + j), g);
      MAC(a2, wasm_v128_load32_splat(x2 + xo + j), g);
      MAC(a3, wasm_v128_load32_splat(x3 + xo + j), g);
    }
  }
  CONV_STORE(0, a0, 0) CONV_STORE(1, a1, 0) CONV_STORE(2, a2, 0) CONV_STORE(3, a3, 0)
}

EXPORT(conv2d_forward)
void conv2d_forward(const float *xp, int batch, int hp, int wp, int c, const float *w, const float *bias, int oh_n,
                    int ow_n, int co, int kh_n, int kw_n, int sh, int sw, int relu, float *out) {
  int jt = kw_n * c;
  int row = wp * c;
  for (int b = 0; b < batch; b++) {
    for (int oh = 0; oh < oh_n; oh++) {
      const float *xr = xp + ((long)(b * hp + oh * sh) * wp) * c;
      float *orow = out + ((long)(b * oh_n + oh) * ow_n) * co;
      for (int ow = 0; ow < ow_n; ow += 4) {
        int pn = ow_n - ow < 4 ? ow_n - ow : 4;
        // Pixels past the row's end re-read pixel ow (never stored), so no read leaves the window.
        const float *x0 = xr + ow * sw * c;
        const float *x1 = pn > 1 ? x0 + sw * c : x0;
        const float *x2 = pn > 2 ? x0 + 2 * sw * c : x0;
        const float *x3 = pn > 3 ? x0 + 3 * sw * c : x0;
        float *o = orow + ow * co;
        int c0 = 0;
        for (; c0 + 8 <= co; c0 += 8) {
          v128_t b0 = bias ? wasm_v128_load(bias + c0) : wasm_f32x4_splat(0.0f);
          v128_t b4 = bias ? wasm_v128_load(bias + c0 + 4) : wasm_f32x4_splat(0.0f);
          conv_block_8(x0, x1, x2, x3, kh_n, jt, row, w + c0, co, o + c0, pn, b0, b4, relu);
        }
        for (; c0 < co; c0 += 4) {
          v128_t b0 = bias ? wasm_v128_load(bias + c0) : wasm_f32x4_splat(0.0f);
          conv_block_4(x0, x1, x2, x3, kh_n, jt, row, w + c0, co, o + c0, pn, b0, relu);
        }
      }
    }
  }
}

// Filter gradient of a 3x3 stride-1 convolution by Winograd F(3x3, 2x2) (the transpose of F(2x2, 3x3)): each 2x2
// tile of dy and the 4x4 window of the padded input it reads give the 3x3 filter gradient as
// G^T [(A D A^T) . (B^T X B)] G, so per tile 16 products per (ci, co) instead of 36 (2.25x fewer multiplies).
// Summed over tiles, the 16 elementwise products are 16 matrix products M[p] += V[p]^T U[p] (V: tiles x ci input
// transforms, U: tiles x co dy transforms), done chunk by chunk of `chunk` tiles (v, u: 16 * chunk * c and
// 16 * chunk * co floats of scratch; m: 16 * c * co), then one output transform into dw [3, 3, c, co].
// xp: pad_nhwc's window with at least 2 * ceil(oh / 2) + 2 rows and 2 * ceil(ow / 2) + 2 columns; c, co % 4 == 0.
static inline void store_tile_vectors(float *base, int stride, v128_t t0, v128_t t1, v128_t t2, v128_t t3) {
  wasm_v128_store(base, t0);
  wasm_v128_store(base + stride, t1);
  wasm_v128_store(base + 2 * stride, t2);
  wasm_v128_store(base + 3 * stride, t3);
}

EXPORT(winograd_filter_grad_3x3)
void winograd_filter_grad_3x3(const float *xp, int batch, int hp, int wp, int c, const float *dy, int oh_n, int ow_n,
                              int co, float *v, float *u, int chunk, float *m, float *dw) {
  const int th = (oh_n + 1) / 2, tw = (ow_n + 1) / 2;
  const long vpos = (long)chunk * c, upos = (long)chunk * co;  // stride between the 16 positions
  const v128_t zero = wasm_f32x4_splat(0.0f), half = wasm_f32x4_splat(0.5f);
  for (long k = 0; k < 16L * c * co; k++) m[k] = 0.0f;
  int n = 0;  // tiles in the current chunk
  const long tiles = (long)batch * th * tw;
  for (long t = 0; t < tiles; t++) {
    int b = (int)(t / (th * tw)), ti = (int)(t / tw % th), tj = (int)(t % tw);
    // V = B^T X B for every channel block of 4.
    const float *x0 = xp + ((long)(b * hp + 2 * ti) * wp + 2 * tj) * c;
    for (int k = 0; k < c; k += 4) {
      v128_t r[4][4];
      for (int i = 0; i < 4; i++) {
        const float *row = x0 + (long)i * wp * c + k;
        v128_t a0 = wasm_v128_load(row), a1 = wasm_v128_load(row + c), a2 = wasm_v128_load(row + 2 * c),
               a3 = wasm_v128_load(row + 3 * c);
        r[i][0] = wasm_f32x4_sub(a0, a2);
        r[i][1] = wasm_f32x4_add(a1, a2);
        r[i][2] = wasm_f32x4_sub(a2, a1);
        r[i][3] = wasm_f32x4_sub(a1, a3);
      }
      float *dst = v + (long)n * c + k;
      for (int j = 0; j < 4; j++) {
        store_tile_vectors(dst + j * vpos, 4 * vpos, wasm_f32x4_sub(r[0][j], r[2][j]), wasm_f32x4_add(r[1][j], r[2][j]),
                           wasm_f32x4_sub(r[2][j], r[1][j]), wasm_f32x4_sub(r[1][j], r[3][j]));
      }
    }
    // U = A D A^T for every output-channel block of 4 (dy rows/columns past the edge are 0).
    const int r1 = 2 * ti + 1 < oh_n, c1 = 2 * tj + 1 < ow_n;
    const float *d0 = dy + ((long)(b * oh_n + 2 * ti) * ow_n + 2 * tj) * co;
    for (int k = 0; k < co; k += 4) {
      v128_t d00 = wasm_v128_load(d0 + k);
      v128_t d01 = c1 ? wasm_v128_load(d0 + co + k) : zero;
      v128_t d10 = r1 ? wasm_v128_load(d0 + (long)ow_n * co + k) : zero;
      v128_t d11 = r1 && c1 ? wasm_v128_load(d0 + (long)ow_n * co + co + k) : zero;
      // rows: E0 = D0, E1 = D0 + D1, E2 = D0 - D1, E3 = -D1 (each a pair over the tile's 2 columns)
      v128_t e[4][2] = {{d00, d01},
                        {wasm_f32x4_add(d00, d10), wasm_f32x4_add(d01, d11)},
                        {wasm_f32x4_sub(d00, d10), wasm_f32x4_sub(d01, d11)},
                        {wasm_f32x4_neg(d10), wasm_f32x4_neg(d11)}};
      float *dst = u + (long)n * co + k;
      for (int i = 0; i < 4; i++) {
        store_tile_vectors(dst + 4 * i * upos, upos, e[i][0], wasm_f32x4_add(e[i][0], e[i][1]),
                           wasm_f32x4_sub(e[i][0], e[i][1]), wasm_f32x4_neg(e[i][1]));
      }
    }
    if (++n == chunk || t == tiles - 1) {
      for (int p = 0; p < 16; p++)
        gemm(v + p * vpos, 1, c, u + p * upos, co, m + (long)p * c * co, co, c, co, n, 1);
      n = 0;
    }
  }
  // dw = G^T M G per (ci, co), G^T = [[1, .5, .5, 0], [0, .5, -.5, 0], [0, .5, .5, 1]].
  const long cc = (long)c * co;
  for (long e = 0; e < cc; e += 4) {
    v128_t q[4][4];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) q[i][j] = wasm_v128_load(m + (i * 4 + j) * cc + e);
    for (int j = 0; j < 4; j++) {
      v128_t s12 = wasm_f32x4_mul(half, wasm_f32x4_add(q[1][j], q[2][j]));
      v128_t d12 = wasm_f32x4_mul(half, wasm_f32x4_sub(q[1][j], q[2][j]));
      v128_t p0 = wasm_f32x4_add(q[0][j], s12), p2 = wasm_f32x4_add(s12, q[3][j]);
      q[0][j] = p0;
      q[1][j] = d12;
      q[2][j] = p2;
    }
    for (int i = 0; i < 3; i++) {
      v128_t s12 = wasm_f32x4_mul(half, wasm_f32x4_add(q[i][1], q[i][2]));
      v128_t d12 = wasm_f32x4_mul(half, wasm_f32x4_sub(q[i][1], q[i][2]));
      wasm_v128_store(dw + (i * 3 + 0) * cc + e, wasm_f32x4_add(q[i][0], s12));
      wasm_v128_store(dw + (i * 3 + 1) * cc + e, d12);
      wasm_v128_store(dw + (i * 3 + 2) * cc + e, wasm_f32x4_add(s12, q[i][3]));
    }
  }
}

// One Adam step over n weights, the float32 operations of tf.train.adam in its order (so the result is bit-identical):
// m = m*b1 + g*c1; v = v*b2 + (g*g)*c2; w = ((m/d1) / (sqrt(v/d2) + eps)) * neg_lr + w, with c = 1 - b,
// d = 1 - b^t. Runs on any memory (src/train/flat-adam.ts gives it one of its own).
EXPORT(adam_f32)
void adam_f32(float *w, const float *g, float *m, float *v, int n, float b1, float b2, float c1, float c2, float d1,
              float d2, float eps, float neg_lr) {
  const v128_t vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2), vc1 = wasm_f32x4_splat(c1),
               vc2 = wasm_f32x4_splat(c2), vd1 = wasm_f32x4_splat(d1), vd2 = wasm_f32x4_splat(d2),
               veps = wasm_f32x4_splat(eps), vlr = wasm_f32x4_splat(neg_lr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vc1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vc2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, vd2)), veps);
    v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mi, vd1), den), vlr);
    wasm_v128_store(w + i, wasm_f32x4_add(step, wasm_v128_load(w + i)));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * c1;
    float vi = v[i] * b2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    w[i] = ((mi / d1) / (__builtin_sqrtf(vi / d2) + eps)) * neg_lr + w[i];
  }
}
