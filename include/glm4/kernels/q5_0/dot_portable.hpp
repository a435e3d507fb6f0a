// q5_0's portable int16 dot (Highway), compiled on every target; the dot of
// targets without an x86 one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/q5_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

using block = quant::q5_0::block;

// v[j] += 16 for each of the block's 32 values whose fifth bit (bit j of
// qh, little-endian) is set: the bits as a lane mask (on AVX-512 one kmov).
inline void add_fifth_bits(const std::uint8_t (&qh)[4], std::int8_t* v) {
#if HWY_TARGET == HWY_SCALAR
  const std::uint32_t bits = quant::five_bit::high_bits(qh);
  for (int j = 0; j < 32; ++j) v[j] = static_cast<std::int8_t>(v[j] + 16 * ((bits >> j) & 1));
#else
  const hn::FixedTag<std::int8_t, 16> d8;
  for (std::size_t h = 0; h < 2; ++h) {
    const auto fifth = hn::IfThenElseZero(hn::LoadMaskBits(d8, qh + 2 * h), hn::Set(d8, 16));
    hn::StoreU(hn::Add(hn::LoadU(d8, v + 16 * h), fifth), d8, v + 16 * h);
  }
#endif
}

struct portable {
  // Nibbles minus 16, plus 16 where the fifth bit is set, then the widening
  // int16 dot product.
  static float portable_dot(const block* w, const q16_act* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t q[32];
    for (std::size_t b = 0; b < n / 32; ++b) {
      qdetail::split_nibbles(w[b].qs, 16, q, q + 16, 16);
      add_fifth_bits(w[b].qh, q);
      sum += qdetail::half_to_float(w[b].d) * a[b].d * static_cast<float>(qdetail::idot(q, a[b].qs, 32));
    }
    return sum;
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
