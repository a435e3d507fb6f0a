// q4_0's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_0/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // [low nibbles | high nibbles] - 8: the block's 32 values in order.
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) {
      return _mm256_sub_epi8(qdetail::nibbles_in_value_order(b.qs), _mm256_set1_epi8(8));
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
