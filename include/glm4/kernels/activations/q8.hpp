// q8_act: 32 activations as int8, ggml's q8_0 scheme (x[j] ~= d * qs[j],
// d = max |x| / 127, round to nearest) with an f32 scale, for the prefill
// panels (int8_panel.hpp); and the int8 rounding every int8 layout
// (activations/q8x4.hpp, q8x2.hpp, q8k.hpp, q8k_bsums.hpp) is built from.
//
// The rounding error of a value is at most d / 2 = amax / 254 (the int16
// blocks of activations/q16.hpp: amax / 65534); it is the error llama.cpp's
// CPU kernels have, and buys twice the multiply-adds per instruction
// (vpdpbusd). All the layouts: docs/kernels.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// 32 activations as int8: x[j] ~= d * qs[j], dsum = d * sum_j qs[j].
struct q8_act {
  float d;
  float dsum;
  std::int8_t qs[32];
};
static_assert(sizeof(q8_act) == 40);

// q8_act with the sum of each 16-value half, dsum[h] = d * sum of qs[16 h ..
// 16 h + 15]: the panel activations of weights whose scale changes every 16
// values (q6_k, int8_panel.hpp).
struct q8_halves_act {
  float d;
  float dsum[2];
  std::int8_t qs[32];
};
static_assert(sizeof(q8_halves_act) == 44);

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

// max |x| of n values, n a multiple of 16.
inline float absmax(const float* x, std::size_t n) {
#if HWY_TARGET == HWY_SCALAR
  float amax = 0.0f;
  for (std::size_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
#else
  const hn::CappedTag<float, 16> df;
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < n; j += hn::Lanes(df)) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  return hn::GetLane(hn::MaxOfLanes(df, vmax));
#endif
}

// qs = nearest (ties to even) of x * id for n values (a multiple of 16);
// returns their sum.
inline int round_q8(const float* x, float id, std::int8_t* qs, std::size_t n = 32) {
#if HWY_TARGET == HWY_SCALAR
  int sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += qs[j] = static_cast<std::int8_t>(std::nearbyint(x[j] * id));
  return sum;
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::int8_t, decltype(df)> d8;
  const std::size_t N = hn::Lanes(df);
  const auto vid = hn::Set(df, id);
  auto vsum = hn::Zero(di);
  for (std::size_t j = 0; j < n; j += N) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid));
    vsum = hn::Add(vsum, q);
    hn::StoreU(hn::DemoteTo(d8, q), d8, qs + j);
  }
  return hn::GetLane(hn::SumOfLanes(di, vsum));
#endif
}

// quantize_q8_reference, vectorized.
inline void quantize_q8(const float* x, q8_act& a) {
  const float amax = absmax(x, 32);
  const int sum = round_q8(x, amax != 0.0f ? 127.0f / amax : 0.0f, a.qs);
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(sum);
}

// quantize_q8 with the sums of the halves.
inline void quantize_q8(const float* x, q8_halves_act& a) {
  const float amax = absmax(x, 32);
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  a.d = amax / 127.0f;
  for (std::size_t h = 0; h < 2; ++h) a.dsum[h] = a.d * static_cast<float>(round_q8(x + 16 * h, id, a.qs + 16 * h, 16));
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
