// Row dot product for f32 weights: four independent FMA chains hide the FMA
// latency; the tail is handled with a masked load.
#pragma once

#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f32.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

inline float dot_f32(const float* w, const float* x, std::size_t n) {
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = hn::MulAdd(hn::LoadU(d, w + i), hn::LoadU(d, x + i), a0);
    a1 = hn::MulAdd(hn::LoadU(d, w + i + N), hn::LoadU(d, x + i + N), a1);
    a2 = hn::MulAdd(hn::LoadU(d, w + i + 2 * N), hn::LoadU(d, x + i + 2 * N), a2);
    a3 = hn::MulAdd(hn::LoadU(d, w + i + 3 * N), hn::LoadU(d, x + i + 3 * N), a3);
  }
  for (; i + N <= n; i += N) a0 = hn::MulAdd(hn::LoadU(d, w + i), hn::LoadU(d, x + i), a0);
  if (i < n) {
    const auto m = hn::FirstN(d, n - i);
    a1 = hn::MulAdd(hn::MaskedLoad(m, d, w + i), hn::MaskedLoad(m, d, x + i), a1);
  }
  return sum_lanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
}

}  // namespace glm4::inline GLM4_TARGET::kernels
