// q4_k's whole 16-row prefill panels (int8_panel.hpp) on AVX-512 VNNI
// (GLM4_QDOT_AVX512VNNI), straight from the file's bytes: the 16 rows'
// bytes are transposed in registers (x86/dword_transpose_avx512.hpp) and a
// panel column's nibbles, of all 16 rows, are one vector AND; the scales
// and mins are unpacked as unpack_q4_k_scales does, on 16 rows' dwords at
// once. q4_k is most of a Q4_K_M file: this is 2.7x the generic whole
// panel (x86/whole_panel.hpp, which unpacks each row into a buffer
// first) and 5.5x the row path (4096 x 4096: 0.6, 1.7, 3.5 ms).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q4_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::q4_k> {
  using block = quant::q4_k::block;

  // Rows [r0, r0 + 16) of w into p[0, w.cols() / 32).
  static void unpack(const matrix<quant::q4_k>& w, std::size_t r0, panel_block* p) {
    const std::size_t stride = w.blocks_per_row() * sizeof(block);
    const __m512i m4 = _mm512_set1_epi8(15), byte = _mm512_set1_epi32(0xff);
    const __m512i k1 = _mm512_set1_epi32(0x3f3f3f3f), k2 = _mm512_set1_epi32(0x0f0f0f0f),
                  k3 = _mm512_set1_epi32(0x03030303);
    for (std::size_t sb = 0; sb < w.blocks_per_row(); ++sb, p += 8) {
      const auto* base = reinterpret_cast<const std::uint8_t*>(w.row(r0) + sb);
      // d | dmin << 16, then the 12 scale bytes as dwords u0, u1, u2
      __m512i head[4];
      qdetail::transpose_16x4_dwords(base, stride, head);
      const __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head[0]));
      const __m512 neg_dmin =
          _mm512_sub_ps(_mm512_setzero_ps(), _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head[0], 16))));
      const __m512i u0 = head[1], u1 = head[2], u2 = head[3];
      // byte s % 4 of scales[s / 4], mins[s / 4]: sub-block s's (unpack_q4_k_scales)
      const __m512i scales[2] = {_mm512_and_si512(u0, k1),
                                 _mm512_or_si512(_mm512_and_si512(u2, k2),
                                                 _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u0, 6), k3), 4))};
      const __m512i mins[2] = {_mm512_and_si512(u1, k1),
                               _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), k2),
                                               _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u1, 6), k3), 4))};
      for (std::size_t s = 0; s < 8; ++s) {
        const __m512i shift = _mm512_set1_epi32(static_cast<int>(8 * (s % 4)));
        const auto pick = [&](__m512i v) {
          return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srlv_epi32(v, shift), byte));
        };
        _mm512_store_ps(p[s].scale[0], _mm512_mul_ps(d, pick(scales[s / 4])));
        _mm512_store_ps(p[s].offset[0], _mm512_mul_ps(neg_dmin, pick(mins[s / 4])));
      }
      // chunk c: sub-block 2c in the low nibbles, 2c + 1 in the high
      for (std::size_t c = 0; c < 4; ++c) {
        __m512i columns[8];
        qdetail::transpose_16x8_dwords(base + offsetof(block, qs) + 32 * c, stride, columns);
        for (std::size_t g = 0; g < 8; ++g) {
          _mm512_store_si512(p[2 * c].u[g], _mm512_and_si512(columns[g], m4));
          _mm512_store_si512(p[2 * c + 1].u[g], _mm512_and_si512(_mm512_srli_epi32(columns[g], 4), m4));
        }
      }
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
