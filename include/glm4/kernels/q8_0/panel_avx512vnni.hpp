// q8_0's whole 16-row prefill panels (int8_panel.hpp) on AVX-512 VNNI
// (GLM4_QDOT_AVX512VNNI), straight from the file's bytes, as the nibble
// formats' (x86/nibble_panel_avx512.hpp): a block's 16 rows of codes
// transposed in registers are the panel's 8 columns, each one vector XOR
// (q + 128), and the rows' 16 scales come in one gather.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::q8_0> {
  using block = quant::q8_0::block;

  // Rows [r0, r0 + 16) of w into p[0, w.cols() / 32).
  static void unpack(const matrix<quant::q8_0>& w, std::size_t r0, panel_block* p) {
    const std::size_t stride = w.blocks_per_row() * sizeof(block);
    const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i rows = qdetail::row_offsets_16(stride);
    for (std::size_t b = 0; b < w.blocks_per_row(); ++b) {
      const auto* base = reinterpret_cast<const std::uint8_t*>(w.row(r0) + b);
      const __m512 d = qdetail::gather_16_halves(base, rows);
      _mm512_store_ps(p[b].scale[0], d);
      _mm512_store_ps(p[b].offset[0], _mm512_mul_ps(d, _mm512_set1_ps(-128.0f)));
      __m512i columns[8];
      qdetail::transpose_16x8_dwords(base + offsetof(block, qs), stride, columns);
      for (std::size_t g = 0; g < 8; ++g) _mm512_store_si512(p[b].u[g], _mm512_xor_si512(columns[g], sign));
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
