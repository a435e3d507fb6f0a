// q5_0's whole 16-row prefill panels (int8_panel.hpp) on AVX-512 VNNI
// (GLM4_QDOT_AVX512VNNI), straight from the file's bytes, as q4_0's
// (q4_0/panel_avx512vnni.hpp), whose nibbles these are; the rows' 16 scales
// and 16 words of fifth bits come in two gathers. A column's four fifth
// bits, bits 4g .. 4g + 3 of qh, go to bit 4 of its four bytes by one
// multiply: the shifted copies x << 4, << 11, << 18, << 25 of a 4-bit x
// do not overlap, and bit 4 of byte k is bit k of x.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q5_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::q5_0> {
  using block = quant::q5_0::block;

  // Rows [r0, r0 + 16) of w into p[0, w.cols() / 32).
  static void unpack(const matrix<quant::q5_0>& w, std::size_t r0, panel_block* p) {
    const std::size_t stride = w.blocks_per_row() * sizeof(block);
    const __m512i m4 = _mm512_set1_epi8(15), bit4 = _mm512_set1_epi8(16);
    const __m512i low4 = _mm512_set1_epi32(15), spread = _mm512_set1_epi32(0x02040810);
    const __m512i rows = qdetail::row_offsets_16(stride);
    for (std::size_t b = 0; b < w.blocks_per_row(); ++b) {
      const auto* base = reinterpret_cast<const std::uint8_t*>(w.row(r0) + b);
      const __m512 d = qdetail::gather_16_halves(base, rows);
      _mm512_store_ps(p[b].scale[0], d);
      _mm512_store_ps(p[b].offset[0], _mm512_mul_ps(d, _mm512_set1_ps(-16.0f)));
      // bit j: value j's fifth bit
      const __m512i qh = qdetail::gather_16_dwords(base + offsetof(block, qh), rows);
      const auto fifth_bits = [&](std::size_t g) {
        const __m512i x = _mm512_and_si512(_mm512_srli_epi32(qh, static_cast<unsigned>(4 * g)), low4);
        return _mm512_and_si512(_mm512_mullo_epi32(x, spread), bit4);
      };
      // code dword g: values 4g .. 4g + 3 in the low nibbles, 16 + 4g .. in the high
      __m512i columns[4];
      qdetail::transpose_16x4_dwords(base + offsetof(block, qs), stride, columns);
      for (std::size_t g = 0; g < 4; ++g) {
        _mm512_store_si512(p[b].u[g], _mm512_or_si512(_mm512_and_si512(columns[g], m4), fifth_bits(g)));
        _mm512_store_si512(p[b].u[g + 4],
                           _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(columns[g], 4), m4), fifth_bits(g + 4)));
      }
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
