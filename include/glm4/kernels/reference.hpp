// Scalar references: the plain definition of every kernel, in double where
// the SIMD version accumulates in float. Each SIMD kernel has a test holding
// it to its reference here; formats without a SIMD kernel use these directly.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "glm4/kernels/targets.hpp"
#include "glm4/quant/block_format.hpp"

namespace glm4::inline GLM4_TARGET::kernels::reference {

// sum_i w[i] * x[i] for a row stored as F, decoded one block at a time.
template <quant::block_format F>
float dot(const typename F::block* w, const float* x, std::size_t n) {
  constexpr std::size_t chunk_blocks = F::block_elems >= 256 ? 1 : 256 / F::block_elems;
  constexpr std::size_t chunk = chunk_blocks * F::block_elems;
  std::array<float, chunk> buf;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; i += chunk) {
    const std::size_t len = std::min(chunk, n - i);
    F::dequantize(w + i / F::block_elems, buf.data(), len);
    for (std::size_t j = 0; j < len; ++j) sum += static_cast<double>(buf[j]) * x[i + j];
  }
  return static_cast<float>(sum);
}

// y = x / sqrt(mean(x^2) + eps) * weight (transformers' GlmRMSNorm).
inline void rms_norm(const float* x, const float* weight, float eps, float* y, std::size_t n) {
  double ss = 0.0;
  for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i] * inv * weight[i]);
}

// y = (x - mean) / sqrt(var + eps) * weight + bias (PyTorch's F.layer_norm,
// biased variance).
inline void layer_norm(const float* x, const float* weight, const float* bias, float eps, float* y, std::size_t n) {
  double mean = 0.0, var = 0.0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  const double inv = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>((x[i] - mean) * inv * weight[i] + bias[i]);
}

// out[i] = x1[i] * gelu(x2[i]), gelu(v) = v/2 (1 + erf(v / sqrt 2)).
inline void gelu_mul(const float* x1, const float* x2, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double v = x2[i];
    out[i] = static_cast<float>(x1[i] * 0.5 * v * std::erfc(-v / std::sqrt(2.0)));  // = 1 + erf, without cancelling
  }
}

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g).
inline void silu_mul(const float* gate, const float* up, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

// In-place softmax over x[0..n).
inline void softmax(float* x, std::size_t n) {
  const float max = *std::max_element(x, x + n);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - max) / sum);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::reference
