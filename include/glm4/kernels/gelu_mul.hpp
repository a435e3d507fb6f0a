// GLM-130B's GeGLU: out = x1 * gelu(x2), gelu(v) = v/2 (1 + erf(v / sqrt 2)),
// the exact form PyTorch's F.gelu uses (not the tanh approximation), written
// v/2 erfc(-v / sqrt 2): for negative v, 1 + erf cancels to a few digits. x1 is
// the first half of the fused dense_h_to_4h output row, x2 the second.
// Scalar: erf is a small share of a step next to streaming the weights, and
// Highway 1.0.3 has no vector erf.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

inline void gelu_mul(const float* x1, const float* x2, float* out, std::size_t n) {
  constexpr float inv_sqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  for (std::size_t i = 0; i < n; ++i) out[i] = x1[i] * (0.5f * x2[i] * std::erfc(-x2[i] * inv_sqrt2));
}

}  // namespace glm4::inline GLM4_TARGET::kernels
