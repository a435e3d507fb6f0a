// q5_0's AVX-512 VNNI int16 kernels (GLM4_QDOT_AVX512VNNI): the dot and the
// 4-row tile.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q5_0/dot_portable.hpp"
#include "glm4/kernels/q5_0/reference.hpp"
#include "glm4/kernels/x86/blocks32_avx512vnni.hpp"
#include "glm4/kernels/x86/nibbles.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // Nibbles in value order; subtract 16 where bit j of qh is clear (as a
    // mask register: byte j <-> bit j), leaving q - 16 as int8.
    const __m256i sixteen = _mm256_set1_epi8(16);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m256i nib = qdetail::nibbles_in_value_order(b.qs);
      return _mm256_mask_sub_epi8(nib, _cvtu32_mask32(~high_bits(b)), nib, sixteen);
    });
  }

  // 4 rows x T tokens: q4_0's row lanes, with the fifth bits as 64-bit
  // masks (byte 16 r + j of the low-nibble vector <-> bit j of row r's qh,
  // of the high-nibble vector <-> bit j + 16), then 256 (q - 16), |.| <=
  // 4096, by one unpack; see qdetail::tile4_blocks32.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const q16_act* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(16);
    qdetail::tile4_blocks32<T>(
        w, w_stride, a, a_stride, n / 32, 1.0f / 256.0f, out,
        [&](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
          const std::uint64_t h0 = high_bits(b0), h1 = high_bits(b1), h2 = high_bits(b2), h3 = high_bits(b3);
          const std::uint64_t lo_bits = (h0 & 0xffff) | (h1 & 0xffff) << 16 | (h2 & 0xffff) << 32 | h3 << 48;
          const std::uint64_t hi_bits = h0 >> 16 | (h1 & 0xffff0000) | (h2 >> 16) << 32 | (h3 & 0xffff0000) << 32;
          const __m512i q = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
          const __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
          qdetail::widen_x256(_mm512_mask_sub_epi8(lo, _cvtu64_mask64(~lo_bits), lo, sixteen), e);
          qdetail::widen_x256(_mm512_mask_sub_epi8(hi, _cvtu64_mask64(~hi_bits), hi, sixteen), e + 2);
        });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
