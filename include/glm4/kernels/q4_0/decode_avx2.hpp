// q4_0's AVX2 int8 decode (GLM4_GEMV_AVX2): two blocks per step, their 16
// code bytes in the two 128-bit lanes, unpacked to & 15 and >> 4 & 15 and
// the two f16 scales; against q8x4_act, the -8 correction from its corr
// (x86/q8x4_avx2.hpp). gemv_dot: R rows (1 or 2) for one token; gemv_tile:
// a chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  static qdetail::q8x4_codes unpack(const block* b) {
    qdetail::q8x4_codes u;
    qdetail::nibble_pair(b[0].qs, b[1].qs, u.lo, u.hi);
    u.dw = qdetail::f16_pair(b[0].d, b[1].d);
    return u;
  }

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::avx2_gemv_rows<R, 2>(w, w_stride, n / 64, out, [&](const block* b, std::size_t p, __m256 acc) {
      return qdetail::apply_offset_codes(unpack(b), a, p, acc);
    });
  }

  // The tile (matmul_rows.hpp's has_gemv_tile): values [c0, c1) of one row.
  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc) {
    qdetail::avx2_gemv_tile<T, 2>(w, c0 / 64, c1 / 64, a, a_stride, acc, unpack, qdetail::apply_offset_codes);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
