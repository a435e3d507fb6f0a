// Softmax in place, in f32 as transformers does for attention
// (softmax(..., dtype=float32)): subtract the max so exp never overflows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include <hwy/contrib/math/math-inl.h>

namespace glm4::inline GLM4_TARGET::kernels {

inline void softmax(float* x, std::size_t n) {
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  const float max = *std::max_element(x, x + n);
  const auto vmax = hn::Set(d, max);
  auto acc = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vmax));
    hn::StoreU(e, d, x + i);
    acc = hn::Add(acc, e);
  }
  float sum = sum_lanes(d, acc);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const auto inv = hn::Set(d, 1.0f / sum);
  i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), inv), d, x + i);
  for (; i < n; ++i) x[i] *= 1.0f / sum;
}

}  // namespace glm4::inline GLM4_TARGET::kernels
