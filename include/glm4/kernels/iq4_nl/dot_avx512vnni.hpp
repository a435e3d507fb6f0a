// iq4_nl's AVX-512 VNNI int16 kernels (GLM4_QDOT_AVX512VNNI): the dot and
// the 4-row tile.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/iq4_nl/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx512vnni.hpp"
#include "glm4/kernels/x86/level_tables.hpp"
#include "glm4/kernels/x86/nibbles.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // [low nibbles | high nibbles] through the levels: the block's 32 values in order.
    const __m256i table = qdetail::table_x256(levels);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      return _mm256_shuffle_epi8(table, qdetail::nibbles_in_value_order(b.qs));
    });
  }

  // 4 rows x T tokens: the rows' 16 code bytes in the four 128-bit lanes,
  // low nibbles (values 0-15) and high nibbles (16-31) through the levels,
  // sign-extended to int16 in lane as q8_0's values (|level| <= 127); see
  // qdetail::tile4_blocks32.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const q16_act* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), table = qdetail::table_x512(levels);
    qdetail::tile4_blocks32<T>(w, w_stride, a, a_stride, n / 32, 1.0f, out,
                               [&](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
                                 const __m512i q = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
                                 const __m512i lo = _mm512_shuffle_epi8(table, _mm512_and_si512(q, m4));
                                 const __m512i hi =
                                     _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));
                                 e[0] = _mm512_srai_epi16(_mm512_unpacklo_epi8(lo, lo), 8);
                                 e[1] = _mm512_srai_epi16(_mm512_unpackhi_epi8(lo, lo), 8);
                                 e[2] = _mm512_srai_epi16(_mm512_unpacklo_epi8(hi, hi), 8);
                                 e[3] = _mm512_srai_epi16(_mm512_unpackhi_epi8(hi, hi), 8);
                               });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
