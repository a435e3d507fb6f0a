// The 16 code bytes of a 32-value q4_0 / q5_0 block as its 32 low four bits
// in value order (byte k holds values k and k + 16 in its low and high
// nibble): [low nibbles | high nibbles], one AVX2 vector; and the fifth bits
// of q5_0 / q5_1 as bytes. Used by the x86 int16 families' dots.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

inline __m256i nibbles_in_value_order(const std::uint8_t* qs) {
  const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(r, 4), r), _mm256_set1_epi8(0x0f));
}

// ggml's bytes_from_bits_32: byte j = 0xff iff bit j of bits is set (byte
// j / 8 broadcast, every bit but j % 8 forced on, compared with 0xff).
inline __m256i bytes_from_bits(std::uint32_t bits) {
  const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i other_bits = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
  const __m256i bytes =
      _mm256_or_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), spread), other_bits);
  return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(-1));
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
