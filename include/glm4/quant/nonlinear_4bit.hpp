// Shared pieces of ggml's 4-bit non-linear formats (iq4_nl, iq4_xs): 4-bit
// codes that index a fixed table of 16 int8 levels, spaced more tightly near
// zero where trained weights cluster, and ggml's scale search for them.
// Ported from ggml-quants.c (MIT, Copyright (c) 2023-2024 The ggml authors):
// kvalues_iq4nl, best_index_int8 and quantize_row_iq4_nl_impl as
// llama-quantize calls it (no importance matrix, 7 tries each way).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "glm4/quant/signed_absmax.hpp"
#include "glm4/quant/strict_fp.hpp"

namespace glm4::quant::nonlinear_4bit {

GLM4_STRICT_FP_BEGIN

// ggml kvalues_iq4nl. Level 0 is the only one of magnitude 127, so a code's
// level times an int8 activation stays within int16 (127 * 127 < 2^15 - 1).
inline constexpr std::array<std::int8_t, 16> levels = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                       1,    13,   25,  38,  53,  69,  89,  113};

// The code whose level is nearest to x (the upper one on ties).
inline std::uint8_t nearest_code(float x) {
  if (x <= levels[0]) return 0;
  if (x >= levels[15]) return 15;
  int lo = 0;
  int hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    (x < levels[mid] ? hi : lo) = mid;
  }
  return static_cast<std::uint8_t>(x - levels[hi - 1] < levels[hi] - x ? hi - 1 : hi);
}

// The scale of 32 values: starting from the one that maps the value of
// largest magnitude to level -127, the weighted (w = x^2) least-squares scale
// of each of 15 grids id = (t - 127) / max, t in [-7, 7], keeping the best.
// Codes are not kept: callers re-round against the scale they store.
inline float block_scale(const float* x) {
  constexpr int tries = 7;
  const float max = signed_absmax(x, 32);
  if (std::fabs(max) < 1e-15f) return 0;
  const auto fit = [&](float id, float& sumqx, float& sumq2) {
    sumqx = sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = levels[nearest_code(id * x[j])];
      const float w = x[j] * x[j];
      sumqx += w * q * x[j];
      sumq2 += w * q * q;
    }
  };
  float sumqx, sumq2;
  fit(1 / (-max / levels[0]), sumqx, sumq2);
  float d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
  float best = d * sumqx;
  for (int t = -tries; t <= tries; ++t) {
    fit((t + levels[0]) / max, sumqx, sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// The 32 values' codes against scale d, packed as q4_0 packs them: byte k
// holds code k in its low nibble and code k + 16 in its high one.
inline void pack_codes(const float* x, float d, std::uint8_t* qs) {
  const float id = d != 0 ? 1 / d : 0.f;
  for (int k = 0; k < 16; ++k)
    qs[k] = static_cast<std::uint8_t>(nearest_code(id * x[k]) | nearest_code(id * x[k + 16]) << 4);
}

// 32 decoded values: d times each code's level.
inline void unpack_codes(const std::uint8_t* qs, float d, float* out) {
  for (int k = 0; k < 16; ++k) {
    out[k] = d * levels[qs[k] & 15];
    out[k + 16] = d * levels[qs[k] >> 4];
  }
}

GLM4_STRICT_FP_END

}  // namespace glm4::quant::nonlinear_4bit
