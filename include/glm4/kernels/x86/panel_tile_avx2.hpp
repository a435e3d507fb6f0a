// The AVX2 tile of the int8 prefill panels (int8_panel.hpp; GLM4_QDOT_AVX2),
// for panels of one group of scales (q6_k's two groups stay on the int16
// path).
//
// A 256-bit register holds one group's four columns of 8 rows, so the tile
// runs the panel's two 8-row halves one after the other. Per block, half and
// token: 8 vpmaddubsw (codes as unsigned bytes times the token's four
// activations, broadcast) whose int16 pair sums are added four groups at a
// time (|sum| <= 4 * 2 * 31 * 127 < 2^15), 2 vpmaddwd against ones to int32,
// then cvt + mul + 2 fmadd for the block's scale and offset. Codes of more
// than 5 bits (q8_0, iq4_nl, iq4_xs: MaxCode > 31) would overflow those
// sums; they go in two 4-bit halves, u = 16 h + l, each through the same
// steps, and vpmaddwd against 16 joins the high half's sums exactly: twice
// the multiply-adds, and still faster than the int16 path they took before
// (9B Q8_0 pp512 5.0 -> 8.3 t/s, where Q4_0's is 18.6).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// Tokens per tile in one_panel (matmul_rows.hpp): 4 x (int16 sums, int32
// sums, accumulators) and the operands fit AVX2's 16 registers.
inline constexpr std::size_t panel_tile_tokens = 4;

// Rows [8 half, 8 half + 8) of the panel x T tokens, into out[t * 16 + row].
template <std::size_t T, unsigned MaxCode>
inline void panel_half_tile(const panel_block* p, std::size_t nb, std::size_t half, const q8_act* a,
                            std::size_t a_stride, float* out) {
  // the codes whole, or their low and high nibbles, weighed 1 and 16
  constexpr std::size_t parts = MaxCode > 31 ? 2 : 1;
  const __m256i nibble = _mm256_set1_epi8(15);
  const __m256i weight[2] = {_mm256_set1_epi16(1), _mm256_set1_epi16(16)};
  __m256 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m256i isum[T];
    // Unrolled, so that the arrays live in registers.
#pragma GCC unroll 2
    for (std::size_t part = 0; part < parts; ++part) {
#pragma GCC unroll 2
      for (std::size_t g0 = 0; g0 < 8; g0 += 4) {
        __m256i pairs[T];
#pragma GCC unroll 4
        for (std::size_t g = g0; g < g0 + 4; ++g) {
          __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].u[g][8 * half]));
          if constexpr (parts == 2)
            w = _mm256_and_si256(part == 0 ? w : _mm256_srli_epi16(w, 4), nibble);
#pragma GCC unroll 16
          for (std::size_t t = 0; t < T; ++t) {
            std::int32_t four;
            std::memcpy(&four, a[t * a_stride + b].qs + 4 * g, 4);
            const __m256i prod = _mm256_maddubs_epi16(w, _mm256_set1_epi32(four));
            pairs[t] = g == g0 ? prod : _mm256_add_epi16(pairs[t], prod);
          }
        }
#pragma GCC unroll 16
        for (std::size_t t = 0; t < T; ++t) {
          const __m256i sums = _mm256_madd_epi16(pairs[t], weight[part]);
          isum[t] = part == 0 && g0 == 0 ? sums : _mm256_add_epi32(isum[t], sums);
        }
      }
    }
    const __m256 scale = _mm256_load_ps(p[b].scale[0] + 8 * half), offset = _mm256_load_ps(p[b].offset[0] + 8 * half);
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t) {
      const q8_act& x = a[t * a_stride + b];
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(scale, _mm256_set1_ps(x.d)), acc[t]);
      acc[t] = _mm256_fmadd_ps(offset, _mm256_set1_ps(x.dsum), acc[t]);
    }
  }
  for (std::size_t t = 0; t < T; ++t) _mm256_storeu_ps(out + t * panel_rows + 8 * half, acc[t]);
}

// 16 rows x T tokens of a panel whose codes are at most MaxCode, into
// out[t * 16 + r].
template <std::size_t T, unsigned MaxCode = panel_max_code>
inline void panel_tile(const panel_block* p, std::size_t nb, const q8_act* a, std::size_t a_stride, float* out) {
  panel_half_tile<T, MaxCode>(p, nb, 0, a, a_stride, out);
  panel_half_tile<T, MaxCode>(p, nb, 1, a, a_stride, out);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
