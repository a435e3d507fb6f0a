// The loop of the AVX2 int8 decode kernels (GLM4_GEMV_AVX2: the formats'
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

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
