// q5_0's whole 16-row prefill panels on AVX-512 VNNI (GLM4_QDOT_AVX512VNNI):
// x86/nibble_panel_avx512.hpp's, each nibble with its fifth bit at bit 4
// (offset -16 d). The 16 rows' qh come in one gather; a column's four fifth
// bits, bits 4g .. 4g + 3 of qh, go to bit 4 of its four bytes by one
// multiply: the shifted copies x << 4, << 11, << 18, << 25 of a 4-bit x do
// not overlap, and bit 4 of byte k is bit k of x.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#include "glm4/kernels/x86/nibble_panel_avx512.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q5_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::q5_0> {
  static void unpack(const matrix<quant::q5_0>& w, std::size_t r0, panel_block* p) {
    const __m512i low4 = _mm512_set1_epi32(15), spread = _mm512_set1_epi32(0x02040810),
                  bit4 = _mm512_set1_epi8(16);
    qdetail::unpack_nibble_panel(w, r0, p, -16.0f, [&](const std::uint8_t* base, __m512i rows) {
      // bit j: value j's fifth bit
      const __m512i qh = qdetail::gather_16_dwords(base + offsetof(quant::q5_0::block, qh), rows);
      return [=](__m512i nibbles, std::size_t g) {
        const __m512i x = _mm512_and_si512(_mm512_srli_epi32(qh, static_cast<unsigned>(4 * g)), low4);
        return _mm512_or_si512(nibbles, _mm512_and_si512(_mm512_mullo_epi32(x, spread), bit4));
      };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
