// LayerNorm as PyTorch's F.layer_norm computes it, in f32 (GLM-130B):
//   y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias,  var biased (1/n).
// Two passes over x: the mean, then the centred squares (one-pass
// E[x^2] - mean^2 loses the variance of rows with a large mean).
#pragma once

#include <cmath>
#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// y may alias x.
inline void layer_norm(const float* x, const float* weight, const float* bias, float eps, float* y, std::size_t n) {
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  auto acc = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) acc = hn::Add(acc, hn::LoadU(d, x + i));
  float sum = sum_lanes(d, acc);
  for (; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);

  const auto vmean = hn::Set(d, mean);
  acc = hn::Zero(d);
  for (i = 0; i + N <= n; i += N) {
    const auto c = hn::Sub(hn::LoadU(d, x + i), vmean);
    acc = hn::MulAdd(c, c, acc);
  }
  float squares = sum_lanes(d, acc);
  for (; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const float scale = 1.0f / std::sqrt(squares / static_cast<float>(n) + eps);

  const auto vscale = hn::Set(d, scale);
  for (i = 0; i + N <= n; i += N) {
    const auto c = hn::Mul(hn::Sub(hn::LoadU(d, x + i), vmean), vscale);
    hn::StoreU(hn::MulAdd(c, hn::LoadU(d, weight + i), hn::LoadU(d, bias + i)), d, y + i);
  }
  for (; i < n; ++i) y[i] = (x[i] - mean) * scale * weight[i] + bias[i];
}

}  // namespace glm4::inline GLM4_TARGET::kernels
