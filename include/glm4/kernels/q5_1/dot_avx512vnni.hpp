// q5_1's AVX-512 VNNI int16 dot (GLM4_QDOT_AVX512VNNI). No 4-row tile yet:
// small batches take the dot per row and token.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q5_1/dot_portable.hpp"
#include "glm4/kernels/q5_1/reference.hpp"
#include "glm4/kernels/x86/blocks32_avx512vnni.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // Nibbles in value order, plus 16 where bit j of qh is set (as a mask
    // register: byte j <-> bit j); the minimum's term is dot_blocks32's.
    const __m256i sixteen = _mm256_set1_epi8(16);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m256i nib = qdetail::nibbles_in_value_order(b.qs);
      return _mm256_mask_add_epi8(nib, _cvtu32_mask32(high_bits(b)), nib, sixteen);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
