// The loops of the AVX2 int8 decode kernels (GLM4_GEMV_AVX2: the formats'
// decode_avx2.hpp).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/hsum.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// R rows (1 or 2, w_stride blocks apart) in `steps` steps of StepBlocks
// blocks, prefetched as gemv_rows does; step(blocks, g, acc) adds step g of
// one row (its first block) into its 8-lane accumulator.
template <std::size_t R, std::size_t StepBlocks, class Block, class Step>
inline void avx2_gemv_rows(const Block* w, std::size_t w_stride, std::size_t steps, float* out, Step step) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (std::size_t g = 0; g < steps; ++g) {
    prefetch_rows_ahead(w, R * StepBlocks * sizeof(Block), steps, g);
    acc0 = step(w + StepBlocks * g, g, acc0);
    if constexpr (R == 2) acc1 = step(w + w_stride + StepBlocks * g, g, acc1);
  }
  out[0] = hsum(acc0);
  if constexpr (R == 2) out[1] = hsum(acc1);
}

// The small batches' tile: steps [g0, g1) of one row against T tokens'
// activations (a_stride groups apart), each step's blocks unpacked once,
// unpack(blocks), and apply(unpacked, token's activations, g, acc) adding
// them into each token's 8-lane accumulator acc[t], carried between calls
// (a row goes in column chunks while the tokens' chunk of activations stays
// in L1). A format's one-token step is apply(unpack(b), a, g, acc), and
// hsum(acc[t]) at the end ends as its gemv_dot: every token's sum is the
// decode's, bit for bit. With `ahead` (bytes, 0 for none) each step
// prefetches its own blocks that far on into L2, as gemv_rows does.
template <std::size_t T, std::size_t StepBlocks, class Block, class Act, class Unpack, class Apply>
inline void avx2_gemv_tile(const Block* w, std::size_t g0, std::size_t g1, const Act* a, std::size_t a_stride,
                           __m256* acc, std::size_t ahead, Unpack unpack, Apply apply) {
  __m256 sums[T];
  for (std::size_t t = 0; t < T; ++t) sums[t] = acc[t];
  for (std::size_t g = g0; g < g1; ++g) {
    if (ahead) prefetch_l2(reinterpret_cast<const char*>(w + StepBlocks * g) + ahead, StepBlocks * sizeof(Block));
    const auto u = unpack(w + StepBlocks * g);
#pragma GCC unroll 8
    for (std::size_t t = 0; t < T; ++t) sums[t] = apply(u, a + t * a_stride, g, sums[t]);
  }
  for (std::size_t t = 0; t < T; ++t) acc[t] = sums[t];
}

// What every AVX2 tile's decode struct names for matmul_rows.hpp: a token's
// running sum is its 8-lane accumulator, ended by gemv_dot's hsum.
struct avx2_gemv_partial {
  using gemv_partial = __m256;
  static float gemv_partial_sum(gemv_partial p) { return hsum(p); }
};

// The two entry points of an AVX2 decode kernel made of Self::unpack(blocks)
// and Self::apply(unpacked, activations, step, acc), StepBlocks blocks (one
// step) per StepValues values: gemv_dot<R>, R rows (1 or 2) for one token,
// and gemv_tile<T>, values [c0, c1) of one row for T tokens
// (matmul_rows.hpp's has_gemv_tile).
template <class Self, class Block, class Act, std::size_t StepBlocks, std::size_t StepValues>
struct avx2_decode_steps : avx2_gemv_partial {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const Block* w, std::size_t w_stride, const Act* a, std::size_t n,
                                                  float* out) {
    avx2_gemv_rows<R, StepBlocks>(w, w_stride, n / StepValues, out, [&](const Block* b, std::size_t g, __m256 acc) {
      return Self::apply(Self::unpack(b), a, g, acc);
    });
  }

  template <std::size_t T>
  static void gemv_tile(const Block* w, const Act* a, std::size_t a_stride, std::size_t c0, std::size_t c1, __m256* acc,
                        std::size_t ahead) {
    avx2_gemv_tile<T, StepBlocks>(
        w, c0 / StepValues, c1 / StepValues, a, a_stride, acc, ahead, [](const Block* b) { return Self::unpack(b); },
        [](const auto& u, const Act* x, std::size_t g, __m256 sum) { return Self::apply(u, x, g, sum); });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
