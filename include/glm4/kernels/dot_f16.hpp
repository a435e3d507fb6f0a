// Row dot product for f16 weights (or f16 keys in the KV cache) against f32
// activations: Highway widens halves to floats (F16C's vcvtph2ps on x86,
// fcvtl on ARM), then the same four FMA chains as f32.
#pragma once

#include <cstddef>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f16.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// n values to f32 (the KV cache's blocks for attention).
inline void widen_f16(const quant::f16::block* src, float* out, std::size_t n) {
  const auto* p = reinterpret_cast<const hwy::float16_t*>(src);
  const float_tag d;
  const hn::Rebind<hwy::float16_t, float_tag> dh;
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::PromoteTo(d, hn::LoadU(dh, p + i)), d, out + i);
  for (; i < n; ++i) out[i] = quant::f16::to_float(src[i]);
}

inline float dot_f16(const quant::f16::block* w, const float* x, std::size_t n) {
  static_assert(sizeof(quant::f16::block) == sizeof(hwy::float16_t));
  const auto* wh = reinterpret_cast<const hwy::float16_t*>(w);
  const float_tag d;
  const hn::Rebind<hwy::float16_t, float_tag> dh;
  const std::size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wh + i)), hn::LoadU(d, x + i), a0);
    a1 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wh + i + N)), hn::LoadU(d, x + i + N), a1);
    a2 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wh + i + 2 * N)), hn::LoadU(d, x + i + 2 * N), a2);
    a3 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, wh + i + 3 * N)), hn::LoadU(d, x + i + 3 * N), a3);
  }
  float sum = sum_lanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
  for (; i < n; ++i) sum += quant::f16::to_float(w[i]) * x[i];
  return sum;
}

}  // namespace glm4::inline GLM4_TARGET::kernels
