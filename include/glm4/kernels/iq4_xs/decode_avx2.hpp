// iq4_xs's AVX2 int8 decode (GLM4_GEMV_AVX2): one super-block per step, as
// four of iq4_nl's two-block steps (sub-blocks 2 p, 2 p + 1 in the two
// 128-bit lanes, through the levels, iq4_nl_kernels::apply_levels against
// q8x8_act's half p / 2). The eight 6-bit scales come out of scales_l and
// scales_h by variable shifts of the two broadcast fields, times d in f32,
// and each pair's four-lane spread by one vpermps.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_nl/decode_avx2.hpp"
#include "glm4/kernels/iq4_xs/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x8_act, 1, 256> {
  struct codes {
    qdetail::q8x4_codes pair[4];
  };

  static codes unpack(const block* w) {
    const block& b = *w;
    std::uint32_t scales_l;
    std::memcpy(&scales_l, b.scales_l, 4);
    const __m256i ls = _mm256_or_si256(
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(scales_l)),
                                           _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                         _mm256_set1_epi32(15)),
        _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h),
                                                             _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                                           _mm256_set1_epi32(3)),
                          4));
    const __m256 dw = _mm256_mul_ps(_mm256_set1_ps(qdetail::half_to_float(b.d)),
                                    _mm256_cvtepi32_ps(_mm256_sub_epi32(ls, _mm256_set1_epi32(32))));
    codes u;
    for (int p = 0; p < 4; ++p) {
      qdetail::nibble_pair(b.qs + 32 * p, b.qs + 32 * p + 16, u.pair[p].lo, u.pair[p].hi);
      iq4_nl_kernels::to_levels(u.pair[p]);
      u.pair[p].dw = _mm256_permutevar8x32_ps(
          dw, _mm256_setr_epi32(2 * p, 2 * p, 2 * p, 2 * p, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1));
    }
    return u;
  }

  static __m256 apply(const codes& u, const q8x8_act* a, std::size_t g, __m256 acc) {
    for (std::size_t p = 0; p < 4; ++p) acc = iq4_nl_kernels::apply_levels(u.pair[p], a[g].half[p / 2], p % 2, acc);
    return acc;
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
