// q8_0's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q8_0/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) { return _mm256_loadu_si256((const __m256i*)b.qs); });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
