// "Row lanes" for the AVX-512 VNNI 4-row tiles (the formats' dot_tile):
// 128-bit lane r of a vector holds weight row r's bytes, so one vpdpwssd
// against activations broadcast to the four lanes serves all four rows.
#pragma once

#include <immintrin.h>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// Row lanes from four 16-byte pieces (one per row): lane r = row r's bytes.
inline __m512i row_lanes(const void* p0, const void* p1, const void* p2, const void* p3) {
  const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)p0)),
                                             _mm_loadu_si128((const __m128i*)p1), 1);
  const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)p2)),
                                             _mm_loadu_si128((const __m128i*)p3), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// int8 values v (row lanes: bytes 0-15 of lane r are row r's values c ..
// c + 15) to 256 v as int16 in two vectors (values c .. c + 7, c + 8 ..
// c + 15 per lane): the byte goes to the high half, exact for any int8.
inline void widen_x256(__m512i v, __m512i* e) {
  e[0] = _mm512_unpacklo_epi8(_mm512_setzero_si512(), v);
  e[1] = _mm512_unpackhi_epi8(_mm512_setzero_si512(), v);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
