// q8_0 repacked into 16-row panels on AVX2 (GLM4_QDOT_AVX2): the tile that
// decode, batches, drafts and prefill run. repacked_reference.hpp has its
// scalar twin and the arithmetic; q4_0/repacked_avx2.hpp is the same tile
// for 4-bit codes.
//
// The codes are signed bytes, so, as in the file layout's kernels
// (decode_avx2.hpp), each column meets a token's four activations with the
// codes' signs moved onto them (vpsignb) and their magnitudes as
// vpmaddubsw's unsigned operand: pair sums of at most 2 * 128 * 127 < 2^15,
// a hostile -128 included, then one vpmaddwd to int32 per column. What the
// panels save is the float step: one per 8 rows, block and token, where the
// file's layout takes one per row.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q8_0/repacked_reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

// Tokens per tile and panels a decode pass takes at once, as q4_0's
// (q4_0/repacked_avx2.hpp says why).
inline constexpr std::size_t repacked_max_tokens = 4;
inline constexpr std::size_t repacked_decode_panels = 2;

// T tokens over the blocks [0, nb) of Panels panels (panel q at p + q *
// panel_gap), into out[(q * T + t) * 16 + r]. Per block, column and token,
// one broadcast of the token's four activations meets both halves (rows
// 0-7 and 8-15), each half's int32 sum growing column by column; then one
// float step per half and token. The empty asm after each addition pins
// the sum in a register there: left free, GCC reassociated the additions,
// made every column's products first and spilled them (143 stack accesses
// in the 4-token tile, against 25). `ahead` > 0 prefetches into L2 the
// panel bytes that far on (decode's stream).
template <std::size_t T, std::size_t Panels = 1>
  requires(T <= repacked_max_tokens && (Panels == 1 || T == 1))
inline void repacked_tile(const panel_block_q8_0* p, std::size_t nb, const q8_act* a, std::size_t a_stride,
                          float* out, std::size_t ahead, std::size_t panel_gap = 0) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 sums[Panels][2][T];
  for (auto& panel : sums)
    for (auto& half : panel)
      for (auto& sum : half) sum = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
#pragma GCC unroll 2
    for (std::size_t q = 0; q < Panels; ++q) {
      const panel_block_q8_0& block = p[q * panel_gap + b];
      if (ahead)
        for (std::size_t line = 0; line < sizeof(panel_block_q8_0); line += 64)
          _mm_prefetch(reinterpret_cast<const char*>(&block) + ahead + line, _MM_HINT_T1);
      __m256i isum[2][T];
#pragma GCC unroll 8
      for (std::size_t c = 0; c < 8; ++c) {
        __m256i codes[2], magnitudes[2];
        for (std::size_t h = 0; h < 2; ++h) {
          codes[h] = _mm256_load_si256(reinterpret_cast<const __m256i*>(block.qs[c][8 * h]));
          magnitudes[h] = _mm256_abs_epi8(codes[h]);  // -128 gives 0x80: 128 unsigned
        }
#pragma GCC unroll 4
        for (std::size_t t = 0; t < T; ++t) {
          const __m256i x = _mm256_broadcastd_epi32(_mm_loadu_si32(a[t * a_stride + b].qs + 4 * c));
          for (std::size_t h = 0; h < 2; ++h) {
            const __m256i pairs = _mm256_maddubs_epi16(magnitudes[h], _mm256_sign_epi8(x, codes[h]));
            const __m256i column = _mm256_madd_epi16(pairs, ones);
            isum[h][t] = c == 0 ? column : _mm256_add_epi32(isum[h][t], column);
            asm("" : "+x"(isum[h][t]));  // in order (see above)
          }
        }
      }
      for (std::size_t h = 0; h < 2; ++h) {
        const __m256 dw = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(block.d + 8 * h)));
#pragma GCC unroll 4
        for (std::size_t t = 0; t < T; ++t) {
          const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(a[t * a_stride + b].d));
          sums[q][h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[h][t]), scale, sums[q][h][t]);
        }
      }
    }
  }
  for (std::size_t q = 0; q < Panels; ++q)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t h = 0; h < 2; ++h)
        _mm256_storeu_ps(out + (q * T + t) * repacked_panel_rows + 8 * h, sums[q][h][t]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
