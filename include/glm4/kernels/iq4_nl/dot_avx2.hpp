// iq4_nl's AVX2 int16 dot (GLM4_QDOT_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/iq4_nl/dot_portable.hpp"
#include "glm4/kernels/x86/blocks32_avx2.hpp"
#include "glm4/kernels/x86/level_tables.hpp"
#include "glm4/kernels/x86/nibbles.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) {
    // [low nibbles | high nibbles] through the levels: the block's 32 values in order.
    const __m256i table = qdetail::table_x256(levels);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      return _mm256_shuffle_epi8(table, qdetail::nibbles_in_value_order(b.qs));
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
