// q4_0's AVX-512 VNNI int16 kernels (GLM4_QDOT_AVX512VNNI): the dot and the
// 4-row tile.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_0/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx512vnni.hpp"
#include "glm4/kernels/x86/nibbles.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // [low nibbles | high nibbles] - 8: the block's 32 values in order.
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) {
      return _mm256_sub_epi8(qdetail::nibbles_in_value_order(b.qs), _mm256_set1_epi8(8));
    });
  }

  // 4 rows x T tokens (matmul's decode and prefill tiles): the rows' 16
  // code bytes in the four 128-bit lanes, low nibbles (values 0-15) and
  // high nibbles (16-31) minus 8, placed in the high byte of each int16
  // (256 (q - 8), |.| <= 2048) by one unpack; see qdetail::tile4_blocks32.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const q16_act* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    qdetail::tile4_blocks32<T>(w, w_stride, a, a_stride, n / 32, 1.0f / 256.0f, out,
                               [&](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
                                 const __m512i q = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
                                 qdetail::widen_x256(_mm512_sub_epi8(_mm512_and_si512(q, m4), eight), e);
                                 qdetail::widen_x256(
                                     _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), eight), e + 2);
                               });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
