// RMSNorm as transformers' GlmRMSNorm computes it, in f32:
//   y = x * 1/sqrt(mean(x^2) + eps) * weight
// (no mean subtraction, no bias).
#pragma once

#include <cmath>
#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

inline float sum_of_squares(const float* x, std::size_t n) {
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = hn::LoadU(d, x + i), v1 = hn::LoadU(d, x + i + N);
    a0 = hn::MulAdd(v0, v0, a0);
    a1 = hn::MulAdd(v1, v1, a1);
  }
  float sum = sum_lanes(d, hn::Add(a0, a1));
  for (; i < n; ++i) sum += x[i] * x[i];
  return sum;
}

// y may alias x.
inline void rms_norm(const float* x, const float* weight, float eps, float* y, std::size_t n) {
  const float scale = 1.0f / std::sqrt(sum_of_squares(x, n) / static_cast<float>(n) + eps);
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  const auto s = hn::Set(d, scale);
  std::size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, x + i), s), hn::LoadU(d, weight + i)), d, y + i);
  for (; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

}  // namespace glm4::inline GLM4_TARGET::kernels
