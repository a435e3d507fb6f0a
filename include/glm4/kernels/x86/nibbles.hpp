// The 16 code bytes of a 32-value q4_0 / q5_0 block as its 32 low four bits
// in value order (byte k holds values k and k + 16 in its low and high
// nibble): [low nibbles | high nibbles], one AVX2 vector. Used by both x86
// int16 families' dots.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

inline __m256i nibbles_in_value_order(const std::uint8_t* qs) {
  const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(r, 4), r), _mm256_set1_epi8(0x0f));
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
