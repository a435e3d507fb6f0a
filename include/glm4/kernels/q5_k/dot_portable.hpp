// q5_k's portable int16 dot (Highway), compiled for every target, and what a
// target without kernels of its own runs: q4_k's loop with the fifth bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/dot_portable.hpp"
#include "glm4/kernels/q5_k/reference.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

// Chunk c's codes as int8: sub-block 2c in lo (low nibbles plus 16 where
// bit 2c of qh[j] is set), 2c + 1 in hi (high nibbles, bit 2c + 1).
inline void unpack_chunk(const block& b, int c, std::int8_t* lo, std::int8_t* hi) {
  qdetail::split_nibbles(b.qs + 32 * c, 32, lo, hi, 0);
#if HWY_TARGET == HWY_SCALAR
  for (int j = 0; j < 32; ++j) {
    lo[j] = static_cast<std::int8_t>(lo[j] | ((b.qh[j] >> (2 * c)) & 1) << 4);
    hi[j] = static_cast<std::int8_t>(hi[j] | ((b.qh[j] >> (2 * c + 1)) & 1) << 4);
  }
#else
  const hn::FixedTag<std::uint8_t, 16> du;
  const hn::FixedTag<std::int8_t, 16> di;
  const auto bit_lo = hn::Set(du, static_cast<std::uint8_t>(1u << (2 * c)));
  const auto bit_hi = hn::Set(du, static_cast<std::uint8_t>(2u << (2 * c)));
  const auto sixteen = hn::Set(di, 16);
  for (std::size_t j = 0; j < 32; j += 16) {
    const auto qh = hn::LoadU(du, b.qh + j);
    const auto add = [&](std::int8_t* v, decltype(bit_lo) bit) {
      const auto set = hn::RebindMask(di, hn::TestBit(qh, bit));
      hn::StoreU(hn::Add(hn::LoadU(di, v + j), hn::IfThenElseZero(set, sixteen)), di, v + j);
    };
    add(lo, bit_lo);
    add(hi, bit_hi);
  }
#endif
}

struct portable {
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    return q4_k_kernels::portable_scale_min_dot(w, a, n, unpack_chunk);
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const activation* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
