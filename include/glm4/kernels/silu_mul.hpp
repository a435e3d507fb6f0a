// The SwiGLU gate: out = silu(gate) * up, silu(g) = g * sigmoid(g)
// = g / (1 + e^-g). GLM-4's fused gate_up projection puts gate in the first
// half of each row of activations and up in the second.
#pragma once

#include <cmath>
#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include <hwy/contrib/math/math-inl.h>

namespace glm4::inline GLM4_TARGET::kernels {

inline void silu_mul(const float* gate, const float* up, float* out, std::size_t n) {
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  const auto one = hn::Set(d, 1.0f);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto g = hn::LoadU(d, gate + i);
    const auto silu = hn::Div(g, hn::Add(one, hn::Exp(d, hn::Neg(g))));
    hn::StoreU(hn::Mul(silu, hn::LoadU(d, up + i)), d, out + i);
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace glm4::inline GLM4_TARGET::kernels
