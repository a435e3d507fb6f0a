// Whole 16-row prefill panels (int8_panel.hpp) on AVX-512 VNNI
// (GLM4_QDOT_AVX512VNNI) of the formats whose 32-value blocks start with an
// f16 scale and hold value j's nibble in qs[j] (j < 16) or qs[j - 16] >> 4:
// q4_0, q5_0, iq4_nl. Built straight from the file's bytes, as q4_k's
// (q4_k/panel_avx512vnni.hpp): a block's 16 rows of nibbles are transposed
// in registers, so that a panel column's nibbles, of all 16 rows, are one
// vector AND, and the rows' 16 scales come in one gather. The generic whole
// panel (x86/whole_panel.hpp) unpacks each row into a buffer first, and took
// a fifth of a Q4_0 prefill's time. Each format's panel_avx512vnni.hpp says
// how nibbles become codes.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#include "glm4/quant/matrix.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// Rows [r0, r0 + 16) of w into p[0, w.cols() / 32), with offset = d *
// offset_per_scale; block_codes(block bytes, row offsets) gives, per block, a
// function (nibbles of column g, g) -> the column's codes.
template <quant::block_format F, class BlockCodes>
void unpack_nibble_panel(const matrix<F>& w, std::size_t r0, panel_block* p, float offset_per_scale,
                         BlockCodes block_codes) {
  using block = typename F::block;
  const std::size_t stride = w.blocks_per_row() * sizeof(block);
  const __m512i m4 = _mm512_set1_epi8(15);
  const __m512i rows = row_offsets_16(stride);
  for (std::size_t b = 0; b < w.blocks_per_row(); ++b) {
    const auto* base = reinterpret_cast<const std::uint8_t*>(w.row(r0) + b);
    const __m512 d = gather_16_halves(base, rows);
    _mm512_store_ps(p[b].scale[0], d);
    _mm512_store_ps(p[b].offset[0], _mm512_mul_ps(d, _mm512_set1_ps(offset_per_scale)));
    const auto codes = block_codes(base, rows);
    // nibble dword g: values 4g .. 4g + 3 in the low nibbles, 16 + 4g .. in the high
    __m512i columns[4];
    transpose_16x4_dwords(base + offsetof(block, qs), stride, columns);
    for (std::size_t g = 0; g < 4; ++g) {
      _mm512_store_si512(p[b].u[g], codes(_mm512_and_si512(columns[g], m4), g));
      _mm512_store_si512(p[b].u[g + 4], codes(_mm512_and_si512(_mm512_srli_epi32(columns[g], 4), m4), g + 4));
    }
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
