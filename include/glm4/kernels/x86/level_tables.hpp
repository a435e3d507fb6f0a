// A 16-byte lookup table (iq4_nl's levels) in every 128-bit lane, for
// vpshufb: the codes of the non-linear formats become their values in one
// instruction per vector of 4-bit codes.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

template <class T>
inline __m256i table_x256(const std::array<T, 16>& table) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table.data())));
}

#if defined(__AVX512F__)
template <class T>
inline __m512i table_x512(const std::array<T, 16>& table) {
  return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table.data())));
}
#endif

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
