// q5_1's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q5_1/dot_portable.hpp"
#include "glm4/kernels/q5_1/reference.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // Nibbles in value order, OR 16 where the fifth bit is set; the
    // minimum's term is dot_blocks32's.
    const __m256i sixteen = _mm256_set1_epi8(16);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m256i nib = qdetail::nibbles_in_value_order(b.qs);
      return _mm256_or_si256(nib, _mm256_and_si256(qdetail::bytes_from_bits(high_bits(b)), sixteen));
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
