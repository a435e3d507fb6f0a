// q5_0's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q5_0/dot_portable.hpp"
#include "glm4/kernels/q5_0/reference.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // Where the fifth bit is clear, nibble | 0xf0 is nibble - 16 as int8;
    // where it is set, the nibble itself is q - 16.
    const __m256i f0 = _mm256_set1_epi8(static_cast<char>(0xf0));
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m256i nib = qdetail::nibbles_in_value_order(b.qs);
      return _mm256_or_si256(nib, _mm256_andnot_si256(qdetail::bytes_from_bits(high_bits(b)), f0));
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
