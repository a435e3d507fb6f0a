// q4_k repacked into 16-row panels on AVX2 (GLM4_QDOT_AVX2): the tile that
// decode, batches, drafts and prefill run. repacked_reference.hpp has its
// scalar twin and the arithmetic; q4_0/repacked_avx2.hpp is the same tile
// for q4_0's 32-value blocks.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_k/repacked_reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// Tokens per tile and panels a decode pass takes at once, as q4_0's
// (q4_0/repacked_avx2.hpp says why).
inline constexpr std::size_t repacked_max_tokens = 4;
inline constexpr std::size_t repacked_decode_panels = 2;

namespace detail {
inline __m256i broadcast_dword(const void* four) { return _mm256_broadcastd_epi32(_mm_loadu_si32(four)); }

// Half h's (8 rows') scale words unpacked with ggml's masks, lane by lane:
// each row's dword becomes its scales 0-3 (group 0) or 4-7 (group 1), or
// its mins 0-3 (group 2) or 4-7 (group 3), one per byte.
inline __m256i unpack_group(const panel_block_q4_k& b, std::size_t h, int group) {
  const auto word = [&](std::size_t w) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(&b.scales[w][8 * h]));
  };
  const __m256i k1 = _mm256_set1_epi8(0x3f), k2 = _mm256_set1_epi8(0x0f), k3 = _mm256_set1_epi8(0x03);
  switch (group) {
    case 0: return _mm256_and_si256(word(0), k1);
    case 1: return _mm256_or_si256(_mm256_and_si256(word(2), k2),
                                   _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(word(0), 6), k3), 4));
    case 2: return _mm256_and_si256(word(1), k1);
    default: return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(word(2), 4), k2),
                                    _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(word(1), 6), k3), 4));
  }
}

// vpshufb indices taking bytes i and j of every dword into its two int16
// lanes (high bytes zero): rows 0-3 are scale i (j = i), rows 4-5 the min
// pairs (0, 1) and (2, 3). A table in memory, which each vpshufb takes as
// an operand.
struct shuffle_table {
  alignas(32) std::int8_t rows[6][32];
};
inline constexpr shuffle_table dword_bytes_table = [] {
  shuffle_table t{};
  constexpr int pick[6][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {0, 1}, {2, 3}};
  for (int r = 0; r < 6; ++r)
    for (int b = 0; b < 32; ++b) {
      const int dword = b % 16 / 4, at = b % 4;
      t.rows[r][b] = static_cast<std::int8_t>(at % 2 ? -128 : 4 * dword + pick[r][at / 2]);
    }
  return t;
}();
inline __m256i dword_bytes(int row) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(dword_bytes_table.rows[row]));
}
}  // namespace detail

// T tokens over the super-blocks [0, nb) of Panels panels (panel q at p + q
// * panel_gap), into out[(q * T + t) * 16 + r]. A 256-bit vector holds 8
// rows (rows 0-7, 8-15). Per sub-block s each half's 8 code columns take
// one vpmaddubsw per token against the activations' dwords (broadcast once
// for both halves), their int16 pair sums added over the sub-block (at most
// 16 * 15 * 127 < 2^15), then one vpmaddwd by the rows' scales of s (a
// vpshufb of the unpacked scales) into int32; the min term is four vpmaddwd
// of the rows' min pairs by the sub-block sums' pairs. Per super-block two
// float steps per half. The additions saturate (they never do here) so
// that GCC keeps their order. `ahead` > 0 prefetches into L2 the panel
// bytes that far on (decode's stream), a quarter block per chunk.
template <std::size_t T, std::size_t Panels = 1>
  requires(T <= repacked_max_tokens && (Panels == 1 || T == 1))
inline void repacked_tile(const panel_block_q4_k* p, std::size_t nb, const repacked_act* a, std::size_t a_stride,
                          float* out, std::size_t ahead, std::size_t panel_gap = 0) {
  using detail::broadcast_dword;
  const __m256i m4 = _mm256_set1_epi8(15);
  __m256 sums[Panels][2][T];
  for (auto& panel : sums)
    for (auto& half : panel)
      for (auto& sum : half) sum = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
#pragma GCC unroll 2
    for (std::size_t q = 0; q < Panels; ++q) {
      const panel_block_q4_k& block = p[q * panel_gap + b];
      __m256i scales[2][2], isum[2][T], msum[2][T];  // scales[h][g]: half h's scales 4g .. 4g + 3
      for (std::size_t h = 0; h < 2; ++h) {
        for (int g = 0; g < 2; ++g) scales[h][g] = detail::unpack_group(block, h, g);
        for (auto& sum : isum[h]) sum = _mm256_setzero_si256();
      }
      // One chunk (sub-blocks 2c and 2c + 1) at a time: unrolled over all
      // eight sub-blocks, GCC hoisted their loads and spilled them.
#pragma GCC unroll 1
      for (std::size_t c = 0; c < 4; ++c) {
        // A quarter of the block's prefetches per chunk: all 36 lines at once
        // per block and panel, decode streamed 10.4 GB/s a core, spread 15.6.
        if (ahead)
          for (std::size_t line = 0; line < sizeof(panel_block_q4_k) / 4; line += 64)
            _mm_prefetch(reinterpret_cast<const char*>(&block) + ahead + c * sizeof(panel_block_q4_k) / 4 + line,
                         _MM_HINT_T1);
#pragma GCC unroll 2
        for (std::size_t nibble = 0; nibble < 2; ++nibble) {
          const std::size_t s = 2 * c + nibble;  // sub-block: chunk c's low nibbles, then its high
          __m256i pairs[2][T];
#pragma GCC unroll 8
          for (std::size_t k = 0; k < 8; ++k) {
            __m256i codes[2];
            for (std::size_t h = 0; h < 2; ++h) {
              const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(block.qs[c][k][8 * h]));
              codes[h] = _mm256_and_si256(nibble ? _mm256_srli_epi16(w, 4) : w, m4);
            }
#pragma GCC unroll 4
            for (std::size_t t = 0; t < T; ++t) {
              const __m256i x = broadcast_dword(a[t * a_stride + b].qs + 32 * s + 4 * k);
              for (std::size_t h = 0; h < 2; ++h) {
                const __m256i prod = _mm256_maddubs_epi16(codes[h], x);
                pairs[h][t] = k == 0 ? prod : _mm256_adds_epi16(pairs[h][t], prod);
              }
            }
          }
          for (std::size_t h = 0; h < 2; ++h) {
            const __m256i scale = _mm256_shuffle_epi8(scales[h][c / 2], detail::dword_bytes(s % 4));
#pragma GCC unroll 4
            for (std::size_t t = 0; t < T; ++t)
              isum[h][t] = _mm256_add_epi32(isum[h][t], _mm256_madd_epi16(pairs[h][t], scale));
          }
        }
      }
      for (std::size_t h = 0; h < 2; ++h) {
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {  // mins 2i and 2i + 1
          const __m256i mins = _mm256_shuffle_epi8(detail::unpack_group(block, h, 2 + i / 2),
                                                   detail::dword_bytes(4 + i % 2));
#pragma GCC unroll 4
          for (std::size_t t = 0; t < T; ++t) {
            const __m256i scaled = _mm256_madd_epi16(mins, broadcast_dword(a[t * a_stride + b].sums + 2 * i));
            msum[h][t] = i == 0 ? scaled : _mm256_add_epi32(msum[h][t], scaled);
          }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(block.d + 8 * h)));
        const __m256 dmin = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(block.dmin + 8 * h)));
#pragma GCC unroll 4
        for (std::size_t t = 0; t < T; ++t) {
          const __m256 dx = _mm256_set1_ps(a[t * a_stride + b].d);
          __m256 sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[h][t]), _mm256_mul_ps(d, dx), sums[q][h][t]);
          sums[q][h][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum[h][t]), _mm256_mul_ps(dmin, dx), sum);
        }
      }
    }
  }
  for (std::size_t q = 0; q < Panels; ++q)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t h = 0; h < 2; ++h)
        _mm256_storeu_ps(out + (q * T + t) * repacked_panel_rows + 8 * h, sums[q][h][t]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
