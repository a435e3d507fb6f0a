// iq4_xs's AVX2 int8 decode (GLM4_GEMV_AVX2): one super-block per step, as
// four of iq4_nl's two-block steps (sub-blocks 2 p, 2 p + 1 in the two
// 128-bit lanes, through the levels, iq4_nl_kernels::apply_levels against
// q8x8_act's half p / 2), the eight scales from sub_block_scales, each
// pair's spread to its four lanes by one vpermps.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/iq4_nl/decode_avx2.hpp"
#include "glm4/kernels/iq4_xs/reference.hpp"
#include "glm4/kernels/iq4_xs/scales_x86.hpp"
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
    const __m256 dw = sub_block_scales(b);
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
