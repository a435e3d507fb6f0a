// Transposes of rows' dwords into vectors of one dword from each row, for
// the whole-panel unpacker of the int8 prefill panels (int8_panel.hpp) on
// AVX2 (GLM4_QDOT_AVX2): a panel wants each four-value column of 16 rows
// together, the formats store each row's values together.
// x86/dword_transpose_avx512.hpp is AVX-512's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// out[j] lane r = dword j of the 32 bytes at p + r * stride (r < 8):
// unpacks by dword, by qword, then the 128-bit halves exchanged.
inline void transpose_8x8_dwords(const std::uint8_t* p, std::size_t stride, __m256i out[8]) {
  __m256i rows[8], t[8], s[8];
  for (std::size_t r = 0; r < 8; ++r) rows[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + r * stride));
  for (std::size_t i = 0; i < 8; i += 2) {  // t[i] = rows i, i + 1 interleaved: dwords 0, 1, 4, 5; t[i + 1]: 2, 3, 6, 7
    t[i] = _mm256_unpacklo_epi32(rows[i], rows[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(rows[i], rows[i + 1]);
  }
  for (std::size_t i = 0; i < 8; i += 4) {  // s[i + j]: dword j (and j + 4) of rows i .. i + 3
    s[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    s[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    s[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    s[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (std::size_t j = 0; j < 4; ++j) {  // the low halves (dword j) of rows 0-3 and 4-7, then the high ones
    out[j] = _mm256_permute2x128_si256(s[j], s[j + 4], 0x20);
    out[j + 4] = _mm256_permute2x128_si256(s[j], s[j + 4], 0x31);
  }
}

// columns[c] (64 bytes) = dword c of each of the 16 rows of 32 bytes at p +
// r * stride: a panel's column of four values (x86/whole_panel.hpp), as
// two 8-row halves.
inline void store_columns_16x8(const std::uint8_t* p, std::size_t stride, std::uint8_t* const columns[8]) {
  __m256i out[8];
  for (std::size_t half = 0; half < 2; ++half) {
    transpose_8x8_dwords(p + 8 * half * stride, stride, out);
    for (std::size_t c = 0; c < 8; ++c)
      _mm256_store_si256(reinterpret_cast<__m256i*>(columns[c] + 32 * half), out[c]);
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
