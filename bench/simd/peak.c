// Peak float32 throughput of one core under wasm SIMD128 (bench/suites/simd-roofline.ts): 12 independent chains of
// a = a * m + c per iteration (96 flops), enough chains to cover the latency, so the FP pipes are the limit.
// peak_mul_add: f32x4.mul + f32x4.add (what SIMD128 has); peak_fma: one fused multiply-add (relaxed SIMD's
// relaxed_madd; clang 14 emits the proposal's old opcode, which scripts/build-simd-train.sh rewrites).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define CHAINS(OP)                                                                                               \
  v128_t m = wasm_f32x4_splat(s), c = wasm_f32x4_splat(1e-7f);                                                   \
  v128_t a0 = wasm_f32x4_splat(s + 1), a1 = wasm_f32x4_splat(s + 2), a2 = wasm_f32x4_splat(s + 3);              \
  v128_t a3 = wasm_f32x4_splat(s + 4), a4 = wasm_f32x4_splat(s + 5), a5 = wasm_f32x4_splat(s + 6);              \
  v128_t a6 = wasm_f32x4_splat(s + 7), a7 = wasm_f32x4_splat(s + 8), a8 = wasm_f32x4_splat(s + 9);              \
  v128_t a9 = wasm_f32x4_splat(s + 10), a10 = wasm_f32x4_splat(s + 11), a11 = wasm_f32x4_splat(s + 12);         \
  for (int i = 0; i < iters; i++) {                                                                              \
    OP(a0); OP(a1); OP(a2); OP(a3); OP(a4); OP(a5); OP(a6); OP(a7); OP(a8); OP(a9); OP(a10); OP(a11);            \
  }                                                                                                              \
  v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),                     \
                            wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));                     \
  t = wasm_f32x4_add(t, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));                      \
  return wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 3);

#define MUL_ADD(a) a = wasm_f32x4_add(wasm_f32x4_mul(a, m), c)
#define FMA(a) a = __builtin_wasm_fma_f32x4(c, a, m)

EXPORT(peak_mul_add) float peak_mul_add(int iters, float s) { CHAINS(MUL_ADD) }
#ifdef WITH_FMA
EXPORT(peak_fma) float peak_fma(int iters, float s) { CHAINS(FMA) }
#endif
