// q8_0's AVX-512 VNNI int16 kernels (GLM4_QDOT_AVX512VNNI): the dot and the
// 4-row tile.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q8_0/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx512vnni.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) { return _mm256_loadu_si256((const __m256i*)b.qs); });
  }

  // 4 rows x T tokens: values 0-15 and 16-31 of the four rows in 128-bit
  // lanes, sign-extended to int16 in lane (unpack with itself, shift right
  // arithmetic 8); see qdetail::tile4_blocks32. Prefill only (T >= 2):
  // dot already runs at memory speed for one token, and four rows are four
  // DRAM streams where a row at a time is one.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 2) static void dot_tile(const block* w, std::size_t w_stride, const q16_act* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    qdetail::tile4_blocks32<T>(w, w_stride, a, a_stride, n / 32, 1.0f, out,
                               [](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
                                 const __m512i lo = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
                                 const __m512i hi = qdetail::row_lanes(b0.qs + 16, b1.qs + 16, b2.qs + 16, b3.qs + 16);
                                 e[0] = _mm512_srai_epi16(_mm512_unpacklo_epi8(lo, lo), 8);
                                 e[1] = _mm512_srai_epi16(_mm512_unpackhi_epi8(lo, lo), 8);
                                 e[2] = _mm512_srai_epi16(_mm512_unpacklo_epi8(hi, hi), 8);
                                 e[3] = _mm512_srai_epi16(_mm512_unpackhi_epi8(hi, hi), 8);
                               });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
