// Transposes of 16 rows' dwords into vectors of one dword from each row, for
// the whole-panel unpackers of the int8 prefill panels (int8_panel.hpp) on
// AVX-512 VNNI (GLM4_QDOT_AVX512VNNI): a panel wants each four-value column
// of 16 rows in one vector, the formats store each row's values together.
// x86/dword_transpose_avx2.hpp is AVX2's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// out[j] lane r = dword j of the 16 bytes at p + r * stride (r < 16). Rows
// r, r + 4, r + 8, r + 12 share a vector (one per 128-bit lane), so the 4x4
// transpose inside each lane puts the rows in order.
inline void transpose_16x4_dwords(const std::uint8_t* p, std::size_t stride, __m512i out[4]) {
  __m512i rows[4];
  for (std::size_t k = 0; k < 4; ++k) {
    const auto row = [&](std::size_t r) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + r * stride)); };
    rows[k] = _mm512_inserti32x4(_mm512_castsi128_si512(row(k)), row(k + 4), 1);
    rows[k] = _mm512_inserti32x4(rows[k], row(k + 8), 2);
    rows[k] = _mm512_inserti32x4(rows[k], row(k + 12), 3);
  }
  const __m512i t0 = _mm512_unpacklo_epi32(rows[0], rows[1]), t1 = _mm512_unpackhi_epi32(rows[0], rows[1]);
  const __m512i t2 = _mm512_unpacklo_epi32(rows[2], rows[3]), t3 = _mm512_unpackhi_epi32(rows[2], rows[3]);
  out[0] = _mm512_unpacklo_epi64(t0, t2);
  out[1] = _mm512_unpackhi_epi64(t0, t2);
  out[2] = _mm512_unpacklo_epi64(t1, t3);
  out[3] = _mm512_unpackhi_epi64(t1, t3);
}

// out[j] lane r = dword j of the 32 bytes at p + r * stride (r < 16): rows r
// and r + 8 share a vector (one per 256-bit half), then the 8x8 transpose of
// AVX2 in both halves at once (unpacks by dword, by qword, then 128-bit
// lanes exchanged within each half by vpermt2q).
inline void transpose_16x8_dwords(const std::uint8_t* p, std::size_t stride, __m512i out[8]) {
  __m512i rows[8], t[8], s[8];
  for (std::size_t r = 0; r < 8; ++r)
    rows[r] =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + r * stride))),
                           _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + (r + 8) * stride)), 1);
  for (std::size_t i = 0; i < 8; i += 2) {  // t[i] = rows i, i + 1 interleaved: dwords 0, 1, 4, 5; t[i + 1]: 2, 3, 6, 7
    t[i] = _mm512_unpacklo_epi32(rows[i], rows[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(rows[i], rows[i + 1]);
  }
  for (std::size_t i = 0; i < 8; i += 4) {  // s[i + j]: dword j (and j + 4) of rows i .. i + 3
    s[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    s[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    s[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    s[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // per 256-bit half: the low 128 bits of s[j] then of s[j + 4] (dword j of
  // rows 0-7), or the high ones (dword j + 4)
  const __m512i low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (std::size_t j = 0; j < 4; ++j) {
    out[j] = _mm512_permutex2var_epi64(s[j], low, s[j + 4]);
    out[j + 4] = _mm512_permutex2var_epi64(s[j], high, s[j + 4]);
  }
}

// The byte offsets of 16 rows `stride` apart (16 stride < 2^31: rows of
// weights are KiB).
inline __m512i row_offsets_16(std::size_t stride) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int>(stride)));
}

// Lane r = the dword at p + offsets[r] (row_offsets_16): the 16 x 1
// transpose, one gather; the 16 rows' block scales.
inline __m512i gather_16_dwords(const std::uint8_t* p, __m512i offsets) {
  return _mm512_i32gather_epi32(offsets, p, 1);
}

// Lane r = the f16 at p + offsets[r], as a float (the last two bytes of its
// dword are read too: a block's scale and its first bytes after).
inline __m512 gather_16_halves(const std::uint8_t* p, __m512i offsets) {
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather_16_dwords(p, offsets)));
}

// columns[c] (64 bytes) = dword c of each of the 16 rows of 32 bytes at p +
// r * stride: a panel's column of four values (x86/whole_panel.hpp).
inline void store_columns_16x8(const std::uint8_t* p, std::size_t stride, std::uint8_t* const columns[8]) {
  __m512i out[8];
  transpose_16x8_dwords(p, stride, out);
  for (std::size_t c = 0; c < 8; ++c) _mm512_store_si512(columns[c], out[c]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
