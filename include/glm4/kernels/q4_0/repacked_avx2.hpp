// q4_0 repacked into 16-row panels on AVX2 (GLM4_QDOT_AVX2): the tile, which
// decode, batches, drafts and here prefill too run. repacked_reference.hpp
// has its scalar twin and the arithmetic; repacked_avx512vnni.hpp is the
// same tile with vpdpbusd.
//
// Prefill runs the tile in tiles of 4 tokens rather than unpacking each
// panel into the int8 panel as AVX-512 VNNI does: here both halves share
// each activation broadcast and the offset is an int32 sum, and pp512 of
// the 9B Q4_0 measured 4-5 % faster that way than over the int8 panel's
// 4-bit tile on a Zen 2 host (docs/performance.md). Every prompt token
// gets decode's sums.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/q4_0/repacked_reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

// Tokens per tile: each token keeps four vectors through a block (both
// halves' int16 pair sums and row sums), so 4 tokens already fill AVX2's 16
// registers. repacked_rows runs 8 tokens as two tiles over a panel still in
// cache.
inline constexpr std::size_t repacked_max_tokens = 4;

// Four activation bytes in every lane, loaded from memory (a broadcast load).
inline __m256i broadcast_dword(const std::int8_t* four) { return _mm256_broadcastd_epi32(_mm_loadu_si32(four)); }

// Panels a decode pass takes at once: one panel's sequential stream left a
// core waiting on memory (decode 10 % below the file layout's kernels);
// two, from the two halves of a thread's range, keep it busy.
inline constexpr std::size_t repacked_decode_panels = 2;

// T tokens over the blocks [0, nb) of Panels panels (panel q at p + q *
// panel_gap), into out[(q * T + t) * 16 + r]. One 256-bit vector holds
// eight rows, so a code vector is two: rows 0-7 and 8-15, split into low
// and high nibbles once per block; per token each half takes two
// vpmaddubsw against its activations' dwords, broadcast once for both
// halves, their int16 pair sums added over the whole block (at most 16 * 15
// * 127 < 2^15), then one vpmaddwd to int32 and one float step for its 8
// rows. The additions saturate (they never do here) so that GCC keeps their
// order: reassociated, it made every product first and spilled them.
// `ahead` > 0 prefetches into L2 the panel bytes that far on (decode's
// stream).
template <std::size_t T, std::size_t Panels = 1>
  requires(T <= repacked_max_tokens && (Panels == 1 || T == 1))
inline void repacked_tile(const panel_block_q4_0* p, std::size_t nb, const repacked_act* a, std::size_t a_stride,
                          float* out, std::size_t ahead, std::size_t panel_gap = 0) {
  const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
  __m256 sums[Panels][2][T];
  for (auto& panel : sums)
    for (auto& half : panel)
      for (auto& sum : half) sum = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m256i pairs[Panels][2][T];
#pragma GCC unroll 2
    for (std::size_t q = 0; q < Panels; ++q) {
      const panel_block_q4_0& block = p[q * panel_gap + b];
      if (ahead)
        for (std::size_t line = 0; line < sizeof(panel_block_q4_0); line += 64)
          _mm_prefetch(reinterpret_cast<const char*>(&block) + ahead + line, _MM_HINT_T1);
#pragma GCC unroll 4
      for (std::size_t c = 0; c < 4; ++c) {
        __m256i lo[2], hi[2];
        for (std::size_t h = 0; h < 2; ++h) {
          const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(block.qs[c][8 * h]));
          lo[h] = _mm256_and_si256(w, m4);
          hi[h] = _mm256_and_si256(_mm256_srli_epi16(w, 4), m4);
        }
#pragma GCC unroll 4
        for (std::size_t t = 0; t < T; ++t) {
          const std::int8_t* x = a[t * a_stride + b].qs;
          const __m256i low = broadcast_dword(x + 4 * c), high = broadcast_dword(x + 16 + 4 * c);  // 4c .., 16 + 4c ..
          for (std::size_t h = 0; h < 2; ++h) {
            const __m256i both =
                _mm256_adds_epi16(_mm256_maddubs_epi16(lo[h], low), _mm256_maddubs_epi16(hi[h], high));
            pairs[q][h][t] = c == 0 ? both : _mm256_adds_epi16(pairs[q][h][t], both);
          }
        }
      }
    }
#pragma GCC unroll 2
    for (std::size_t q = 0; q < Panels; ++q)
      for (std::size_t h = 0; h < 2; ++h) {
        const auto* d = reinterpret_cast<const __m128i*>(p[q * panel_gap + b].d + 8 * h);
        const __m256 dw = _mm256_cvtph_ps(_mm_load_si128(d));
#pragma GCC unroll 4
        for (std::size_t t = 0; t < T; ++t) {
          const repacked_act& x = a[t * a_stride + b];
          const __m256i isum =
              _mm256_add_epi32(_mm256_madd_epi16(pairs[q][h][t], ones), _mm256_set1_epi32(x.offset_sum));
          sums[q][h][t] =
              _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_set1_ps(x.d)), sums[q][h][t]);
        }
      }
  }
  for (std::size_t q = 0; q < Panels; ++q)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t h = 0; h < 2; ++h) _mm256_storeu_ps(out + (q * T + t) * panel_rows + 8 * h, sums[q][h][t]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
