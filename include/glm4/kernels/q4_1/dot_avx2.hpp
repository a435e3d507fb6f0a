// q4_1's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_1/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // [low nibbles | high nibbles]: the block's 32 codes in order; the
    // minimum's term is dot_blocks32's.
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) { return qdetail::nibbles_in_value_order(b.qs); });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
