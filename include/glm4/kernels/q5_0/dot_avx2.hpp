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
    // ggml's bytes_from_bits_32: byte j = 0xff iff bit j of qh is set (byte
    // j / 8 of qh broadcast, every bit but j % 8 forced on, compared with
    // 0xff). Where the bit is clear, nibble | 0xf0 is nibble - 16 as int8;
    // where it is set, the nibble itself is q - 16.
    const __m256i f0 = _mm256_set1_epi8(static_cast<char>(0xf0));
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i other_bits = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m256i nib = qdetail::nibbles_in_value_order(b.qs);
      const __m256i bytes =
          _mm256_or_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(high_bits(b))), spread), other_bits);
      const __m256i set = _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(-1));
      return _mm256_or_si256(nib, _mm256_andnot_si256(set, f0));
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
