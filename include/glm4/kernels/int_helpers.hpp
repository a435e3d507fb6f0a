// Portable helpers of the integer kernels (every target's fallback path and
// the prefill panels): an f16 block scale as float, the widening int8 x int16
// dot product and block sum, nibble unpacking and lookup.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f16.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// An f16 block scale as float: one instruction where the target has it.
inline float half_to_float(quant::f16::block h) {
#if defined(__F16C__)
  return _cvtsh_ss(h.bits);
#elif defined(__aarch64__)
  __fp16 v;
  std::memcpy(&v, &h.bits, sizeof v);
  return static_cast<float>(v);
#else
  return quant::f16::to_float(h);
#endif
}

// sum_{i < n} w[i] * a[i] for int8 weight values and int16 activations, n a
// multiple of 8; exact while the caller's bound n * max|w| * 32767 < 2^31.
// The portable building block of every kernel's fallback path: Highway's
// PromoteTo + ReorderWidenMulAccumulate, which on NEON is vmovl_s8 and
// vmlal_s16 / vmlal_high_s16, on x86 pmaddwd.
inline std::int32_t idot(const std::int8_t* w, const std::int16_t* a, std::size_t n) {
#if HWY_TARGET == HWY_SCALAR
  std::int32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += w[i] * a[i];
  return s;
#else
  const hn::FixedTag<std::int32_t, 4> d32;
  const hn::FixedTag<std::int16_t, 8> d16;
  const hn::FixedTag<std::int8_t, 8> d8;
  auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
  for (std::size_t i = 0; i < n; i += 8)
    s0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, w + i)), hn::LoadU(d16, a + i), s0, s1);
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(s0, s1)));
#endif
}

// sum_{i < 32} a[i] (|.| <= 32 * 32767 < 2^20): the offset term m * dx * sum
// of the formats whose blocks have a minimum (q4_1, q5_1), as idot against
// ones.
inline std::int32_t sum32(const std::int16_t* a) {
  static constexpr auto ones = [] {
    std::array<std::int8_t, 32> v{};
    v.fill(1);
    return v;
  }();
  return idot(ones.data(), a, 32);
}

// nbytes (a multiple of 16) packed bytes -> their low nibbles in lo[] and
// high nibbles in hi[], as int8 minus `offset` (8 for q4_0, 0 otherwise).
inline void split_nibbles(const std::uint8_t* p, std::size_t nbytes, std::int8_t* lo, std::int8_t* hi, int offset) {
#if HWY_TARGET == HWY_SCALAR
  for (std::size_t j = 0; j < nbytes; ++j) {
    lo[j] = static_cast<std::int8_t>((p[j] & 15) - offset);
    hi[j] = static_cast<std::int8_t>((p[j] >> 4) - offset);
  }
#else
  const hn::FixedTag<std::uint8_t, 16> du;
  const hn::FixedTag<std::int8_t, 16> di;
  const auto off = hn::Set(di, static_cast<std::int8_t>(offset));
  for (std::size_t j = 0; j < nbytes; j += 16) {
    const auto v = hn::LoadU(du, p + j);
    hn::StoreU(hn::Sub(hn::BitCast(di, hn::And(v, hn::Set(du, 15))), off), di, lo + j);
    hn::StoreU(hn::Sub(hn::BitCast(di, hn::ShiftRight<4>(v)), off), di, hi + j);
  }
#endif
}

// A 32-value block's 16 packed code bytes (byte k: codes k and k + 16)
// through a 16-entry byte table (iq4_nl's levels): out[j] = table[code j],
// one table lookup per 16 codes.
inline void nibble_levels(const std::uint8_t* qs, const std::int8_t* table, std::int8_t* out) {
#if HWY_TARGET == HWY_SCALAR
  for (std::size_t j = 0; j < 16; ++j) {
    out[j] = table[qs[j] & 15];
    out[j + 16] = table[qs[j] >> 4];
  }
#else
  const hn::FixedTag<std::uint8_t, 16> du;
  const hn::FixedTag<std::int8_t, 16> di;
  const auto t = hn::LoadU(di, table);
  const auto v = hn::LoadU(du, qs);
  hn::StoreU(hn::TableLookupBytes(t, hn::BitCast(di, hn::And(v, hn::Set(du, 15)))), di, out);
  hn::StoreU(hn::TableLookupBytes(t, hn::BitCast(di, hn::ShiftRight<4>(v))), di, out + 16);
#endif
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
