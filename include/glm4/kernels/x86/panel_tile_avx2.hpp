// The AVX2 tile of the int8 prefill panels (int8_panel.hpp; GLM4_QDOT_AVX2),
// for panels of one group of scales (q6_k's two groups stay on the int16
// path).
//
// A 256-bit register holds one group's four columns of 8 rows: a panel is
// two 8-row halves. AVX2 has no multiply-add of bytes into int32:
// vpmaddubsw (unsigned codes times signed activations) leaves int16 pair
// sums, which saturate past 2^15. So:
//
// - Codes of at most 4 bits (q4_0, q4_k; panel_tile_4bit): both halves at
//   once, each broadcast of a token's four activations meeting two code
//   vectors, and all eight groups' int16 pair sums added (|sum| <= 8 * 2 *
//   15 * 127 < 2^15) before one vpmaddwd per half: half the broadcasts and
//   the vpmaddwd of the 5-bit tile (glm4_kernels_bench's 4096 x 4096 matmul
//   by 64 tokens 3-8 % faster on a Zen 2 host; docs/performance.md).
// - Codes of at most 5 bits (panel_half_tile), one half after the other:
//   per block, half and token, 8 vpmaddubsw against the token's four
//   activations, broadcast, whose pair sums are added four groups at a time
//   (|sum| <= 4 * 2 * 31 * 127 < 2^15), 2 vpmaddwd against ones to int32,
//   then cvt + mul + 2 fmadd for the block's scale and offset.
// - 8-bit codes (q8_0, iq4_nl, iq4_xs; panel_half_tile_signed): taken as
//   signed s = u - 128, whose magnitude meets the activations with s's sign
//   moved onto them (vpsignb, as ggml's AVX2 q8_0 dot): pair sums of at most
//   2 * 128 * 127 < 2^15, one vpmaddwd per group: about 4.9 vector
//   operations per group and token, where splitting u into two nibbles
//   took 5.6 and spilled more (one core, 4096 x 4096 by 64 tokens:
//   q8_0 31.7 -> 24.0 ms; docs/performance.md).
//   u a = s a + 128 a, so the offset becomes offset + 128 scale (0 for
//   these formats, whose offset is -128 scale).
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
// sums, accumulators) of one half and the operands fit AVX2's 16
// registers. The 4-bit tile's two halves keep six of their eight float
// accumulators on the stack (one load-add-store each per block), which
// still ran faster than a half at a time.
inline constexpr std::size_t panel_tile_tokens = 4;

// Block b's step for T tokens: acc[t] += isum[t] * scale * x.d + offset *
// x.dsum.
template <std::size_t T>
inline void add_block(__m256 (&acc)[T], const __m256i (&isum)[T], __m256 scale, __m256 offset, const q8_act* a,
                      std::size_t a_stride, std::size_t b) {
#pragma GCC unroll 16
  for (std::size_t t = 0; t < T; ++t) {
    const q8_act& x = a[t * a_stride + b];
    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(scale, _mm256_set1_ps(x.d)), acc[t]);
    acc[t] = _mm256_fmadd_ps(offset, _mm256_set1_ps(x.dsum), acc[t]);
  }
}

// Rows [8 half, 8 half + 8) of the panel x T tokens, codes of at most MaxCode
// <= 31, into out[t * 16 + row].
template <std::size_t T, unsigned MaxCode>
inline void panel_half_tile(const panel_block* p, std::size_t nb, std::size_t half, const q8_act* a,
                            std::size_t a_stride, float* out) {
  static_assert(MaxCode <= 31, "four groups' int16 pair sums must not saturate");
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m256i isum[T];
    // Unrolled, so that the arrays live in registers.
#pragma GCC unroll 2
    for (std::size_t g0 = 0; g0 < 8; g0 += 4) {
      __m256i pairs[T];
#pragma GCC unroll 4
      for (std::size_t g = g0; g < g0 + 4; ++g) {
        const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].u[g][8 * half]));
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
        const __m256i sums = _mm256_madd_epi16(pairs[t], ones);
        isum[t] = g0 == 0 ? sums : _mm256_add_epi32(isum[t], sums);
      }
    }
    const __m256 scale = _mm256_load_ps(p[b].scale[0] + 8 * half), offset = _mm256_load_ps(p[b].offset[0] + 8 * half);
    add_block(acc, isum, scale, offset, a, a_stride, b);
  }
  for (std::size_t t = 0; t < T; ++t) _mm256_storeu_ps(out + t * panel_rows + 8 * half, acc[t]);
}

// All 16 rows of the panel x T tokens, codes of at most 4 bits, into out[t *
// 16 + row]. The int16 additions saturate (they never do here) so that GCC
// keeps their order: reassociated, it makes every product first and spills.
template <std::size_t T>
inline void panel_tile_4bit(const panel_block* p, std::size_t nb, const q8_act* a, std::size_t a_stride, float* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[2][T];
  for (auto& half : acc)
    for (auto& sum : half) sum = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m256i pairs[2][T];
#pragma GCC unroll 8
    for (std::size_t g = 0; g < 8; ++g) {
      const __m256i w[2] = {_mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].u[g][0])),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].u[g][8]))};
#pragma GCC unroll 16
      for (std::size_t t = 0; t < T; ++t) {
        std::int32_t four;
        std::memcpy(&four, a[t * a_stride + b].qs + 4 * g, 4);
        const __m256i x = _mm256_set1_epi32(four);
        for (std::size_t h = 0; h < 2; ++h) {
          const __m256i prod = _mm256_maddubs_epi16(w[h], x);
          pairs[h][t] = g == 0 ? prod : _mm256_adds_epi16(pairs[h][t], prod);
        }
      }
    }
    for (std::size_t h = 0; h < 2; ++h) {
      __m256i isum[T];
#pragma GCC unroll 16
      for (std::size_t t = 0; t < T; ++t) isum[t] = _mm256_madd_epi16(pairs[h][t], ones);
      const __m256 scale = _mm256_load_ps(p[b].scale[0] + 8 * h), offset = _mm256_load_ps(p[b].offset[0] + 8 * h);
      add_block(acc[h], isum, scale, offset, a, a_stride, b);
    }
  }
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t h = 0; h < 2; ++h) _mm256_storeu_ps(out + t * panel_rows + 8 * h, acc[h][t]);
}

// The same rows for 8-bit codes, as signed s = u - 128 (u ^ 0x80).
template <std::size_t T>
inline void panel_half_tile_signed(const panel_block* p, std::size_t nb, std::size_t half, const q8_act* a,
                                   std::size_t a_stride, float* out) {
  const __m256i top_bit = _mm256_set1_epi8(static_cast<char>(0x80)), ones = _mm256_set1_epi16(1);
  const __m256 shift = _mm256_set1_ps(128.0f);
  __m256 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m256i isum[T];
#pragma GCC unroll 8
    for (std::size_t g = 0; g < 8; ++g) {
      const __m256i s =
          _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].u[g][8 * half])), top_bit);
      const __m256i magnitude = _mm256_abs_epi8(s);  // -128 gives 0x80: 128 as vpmaddubsw's unsigned operand
#pragma GCC unroll 16
      for (std::size_t t = 0; t < T; ++t) {
        std::int32_t four;
        std::memcpy(&four, a[t * a_stride + b].qs + 4 * g, 4);
        const __m256i signed_x = _mm256_sign_epi8(_mm256_set1_epi32(four), s);
        const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, signed_x), ones);
        isum[t] = g == 0 ? sums : _mm256_add_epi32(isum[t], sums);
      }
    }
    const __m256 scale = _mm256_load_ps(p[b].scale[0] + 8 * half);
    const __m256 offset = _mm256_fmadd_ps(shift, scale, _mm256_load_ps(p[b].offset[0] + 8 * half));
    add_block(acc, isum, scale, offset, a, a_stride, b);
  }
  for (std::size_t t = 0; t < T; ++t) _mm256_storeu_ps(out + t * panel_rows + 8 * half, acc[t]);
}

// 16 rows x T tokens of a panel whose codes are at most MaxCode, into
// out[t * 16 + r].
template <std::size_t T, unsigned MaxCode = panel_max_code>
inline void panel_tile(const panel_block* p, std::size_t nb, const q8_act* a, std::size_t a_stride, float* out) {
  if constexpr (MaxCode <= 15)
    panel_tile_4bit<T>(p, nb, a, a_stride, out);
  else
    for (std::size_t half = 0; half < 2; ++half) {
      if constexpr (MaxCode > 31)
        panel_half_tile_signed<T>(p, nb, half, a, a_stride, out);
      else
        panel_half_tile<T, MaxCode>(p, nb, half, a, a_stride, out);
    }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
