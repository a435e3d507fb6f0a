// The loop of the NEON sdot decode kernels (GLM4_GEMV_NEON_DOTPROD: the
// formats' decode_neon.hpp).
#pragma once

#include <arm_neon.h>

#include <cstddef>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// R rows (1 or 2, w_stride blocks apart) of `blocks` blocks (32 values, or a
// k-quant super-block); step(block, b, acc) adds block b of one row into its
// 4-lane accumulator.
template <std::size_t R, class Block, class Step>
inline void neon_gemv_rows(const Block* w, std::size_t w_stride, std::size_t blocks, float* out, Step step) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  for (std::size_t b = 0; b < blocks; ++b) {
    acc0 = step(w[b], b, acc0);
    if constexpr (R == 2) acc1 = step(w[w_stride + b], b, acc1);
  }
  out[0] = vaddvq_f32(acc0);
  if constexpr (R == 2) out[1] = vaddvq_f32(acc1);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
