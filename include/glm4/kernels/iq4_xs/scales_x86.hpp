// iq4_xs's eight sub-block scales d (ls[s] - 32) as one vector of 8 floats,
// lane s for sub-block s (its AVX2 and AVX-512 decode): the packed 6-bit
// fields through variable shifts of their broadcast words (low 4 bits at
// bit 4 s of scales_l, high 2 at bit 2 s of scales_h), times d in f32
// (exact: 11 + 6 bits).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/iq4_xs.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

inline __m256 sub_block_scales(const quant::iq4_xs::block& b) {
  std::uint32_t scales_l;
  std::memcpy(&scales_l, b.scales_l, 4);
  const __m256i low = _mm256_and_si256(
      _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(scales_l)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
      _mm256_set1_epi32(15));
  const __m256i high =
      _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                       _mm256_set1_epi32(3));
  const __m256i ls = _mm256_or_si256(low, _mm256_slli_epi32(high, 4));
  return _mm256_mul_ps(_mm256_set1_ps(qdetail::half_to_float(b.d)),
                       _mm256_cvtepi32_ps(_mm256_sub_epi32(ls, _mm256_set1_epi32(32))));
}

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
