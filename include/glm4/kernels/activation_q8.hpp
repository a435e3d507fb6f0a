// 8-bit activation blocks: ggml's q8_0 scheme (x[j] ~= d * qs[j], d =
// max |x| / 127, round to nearest) with an f32 scale, in two layouts:
//
//   q8_act     32 values {d, dsum = d * sum qs, qs[32]}: the prefill panels
//              (int8_panel.hpp)
//   q8x4_act  128 values laid out for the decode kernels that gather four
//              weight blocks at a time (dot_q4_0.hpp's gemv_dot)
//
// The rounding error of a value is at most d / 2 = amax / 254 (the int16
// blocks of activation_q16.hpp: amax / 65534); it is the error llama.cpp's
// CPU kernels have, and buys twice the multiply-adds per instruction
// (vpdpbusd). kernels::activation_precision chooses between the two.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/simd.hpp"

namespace glm4::kernels {

// 32 activations as int8: x[j] ~= d * qs[j], dsum = d * sum_j qs[j].
struct q8_act {
  float d;
  float dsum;
  std::int8_t qs[32];
};
static_assert(sizeof(q8_act) == 40);

// Four 32-value blocks of int8 activations (ggml's q8_0 rounding, f32
// scales) in the order of the decode kernels that gather four weight blocks
// at a time (dot_q4_0.hpp's gemv_dot): dword lane l covers block l / 4,
//   lo[4 l .. 4 l + 3] = that block's values 4 (l % 4) .. + 3, hi the same + 16,
//   corr[l] = -offset * (the sum of those 8 values), where a kernel of
//   unsigned codes u = q + offset starts its sums, d[l] = the block's scale.
struct alignas(64) q8x4_act {
  std::int8_t lo[64];
  std::int8_t hi[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x4_act) == 256);

namespace qdetail {

// Scalar int8 quantization of 32 values (the reference): d = amax / 127,
// qs = nearest (ties to even) of x / d, in [-127, 127].
inline void quantize_q8_reference(const float* x, q8_act& a) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    a.qs[j] = static_cast<std::int8_t>(std::nearbyint(x[j] * id));
    sum += a.qs[j];
  }
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(sum);
}

inline void quantize_q8(const float* x, q8_act& a) {
#if HWY_TARGET == HWY_SCALAR
  quantize_q8_reference(x, a);
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::int8_t, decltype(df)> d8;
  const std::size_t N = hn::Lanes(df);
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < 32; j += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  const auto vid = hn::Set(df, amax != 0.0f ? 127.0f / amax : 0.0f);
  auto vsum = hn::Zero(di);
  for (std::size_t j = 0; j < 32; j += N) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid));
    vsum = hn::Add(vsum, q);
    hn::StoreU(hn::DemoteTo(d8, q), d8, a.qs + j);
  }
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(hn::GetLane(hn::SumOfLanes(di, vsum)));
#endif
}

inline void prepare_q8x4(const float* x, q8x4_act* a, std::size_t n, int offset) {
  for (std::size_t g = 0; g < n / 128; ++g) {
    q8x4_act& out = a[g];
    for (std::size_t k = 0; k < 4; ++k) {
      q8_act b;
      quantize_q8(x + 128 * g + 32 * k, b);
      std::memcpy(out.lo + 16 * k, b.qs, 16);
      std::memcpy(out.hi + 16 * k, b.qs + 16, 16);
      for (std::size_t l = 0; l < 4; ++l) {
        int sum = 0;
        for (std::size_t j = 0; j < 4; ++j) sum += b.qs[4 * l + j] + b.qs[16 + 4 * l + j];
        out.corr[4 * k + l] = -offset * sum;
        out.d[4 * k + l] = b.d;
      }
    }
  }
}

}  // namespace qdetail
}  // namespace glm4::kernels
