// Row dot product for bf16 weights against f32 activations. A bf16 value is
// the top half of an f32, so widening is a zero-extend and a 16-bit shift;
// the weights stream from memory at half the bytes of f32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/bf16.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

namespace detail {
template <class D>
inline auto load_bf16(D d, const std::uint16_t* p) {
  const hn::RebindToUnsigned<D> du32;
  const hn::Rebind<std::uint16_t, D> du16;
  return hn::BitCast(d, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, p))));
}
}  // namespace detail

// n values to f32 (the KV cache's blocks for attention).
inline void widen_bf16(const quant::bf16::block* src, float* out, std::size_t n) {
  const auto* p = reinterpret_cast<const std::uint16_t*>(src);
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(detail::load_bf16(d, p + i), d, out + i);
  for (; i < n; ++i) out[i] = quant::bf16::to_float(src[i]);
}

inline float dot_bf16(const quant::bf16::block* w, const float* x, std::size_t n) {
  static_assert(sizeof(quant::bf16::block) == sizeof(std::uint16_t));
  const auto* wb = reinterpret_cast<const std::uint16_t*>(w);
  const float_tag d;
  const std::size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = hn::MulAdd(detail::load_bf16(d, wb + i), hn::LoadU(d, x + i), a0);
    a1 = hn::MulAdd(detail::load_bf16(d, wb + i + N), hn::LoadU(d, x + i + N), a1);
    a2 = hn::MulAdd(detail::load_bf16(d, wb + i + 2 * N), hn::LoadU(d, x + i + 2 * N), a2);
    a3 = hn::MulAdd(detail::load_bf16(d, wb + i + 3 * N), hn::LoadU(d, x + i + 3 * N), a3);
  }
  float sum = sum_lanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
  for (; i < n; ++i) sum += quant::bf16::to_float(w[i]) * x[i];
  return sum;
}

}  // namespace glm4::inline GLM4_TARGET::kernels
