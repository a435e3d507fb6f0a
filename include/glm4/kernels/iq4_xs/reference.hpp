// iq4_xs's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value sub-block s of a super-block, iq4_nl's codes and
// levels with the scale d (ls[s] - 32):
//
//   sum_j d (ls - 32) levels[q[j]] dx a[j] = d (ls - 32) dx * isum[s]
//
// isum[s] as iq4_nl's block sum (|isum| < 2^27, exact in int32); the
// sub-block scale multiplies it in floating point.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x8.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/iq4_xs.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

using block = quant::iq4_xs::block;
using iq4_nl_kernels::levels;
using iq4_nl_kernels::offset_levels;

struct reference {
  // The int16 dot (q16_act, one per sub-block).
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      const float d = quant::f16::to_float(w[b].d);
      for (int s = 0; s < 8; ++s) {
        const q16_act& x = a[8 * b + static_cast<std::size_t>(s)];
        const std::int32_t isum = iq4_nl_kernels::block_isum(w[b].qs + 16 * s, x.qs, x.qs + 16);
        sum += static_cast<double>(d * static_cast<float>(quant::iq4_xs::sub_scale(w[b], s)) * x.d) * isum;
      }
    }
    return static_cast<float>(sum);
  }

  // The int8 decode (q8x8_act).
  static float reference_gemv(const block* w, const q8x8_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      const float d = quant::f16::to_float(w[b].d);
      for (int s = 0; s < 8; ++s) {
        const q8x4_act& x = a[b].half[s / 4];
        const int k = s % 4;
        const std::int32_t isum = iq4_nl_kernels::block_isum(w[b].qs + 16 * s, x.lo + 16 * k, x.hi + 16 * k);
        sum += static_cast<double>(d * static_cast<float>(quant::iq4_xs::sub_scale(w[b], s)) * x.d[4 * k]) * isum;
      }
    }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations: q8x8_act with the correction of
// offset_levels, scales as they are (the sub-block scales are products
// computed in f32, not f16 bits widened by shifts).
struct decode_layout {
  using gemv_activation = q8x8_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x8(x, a, n, 128, 1.0f);
  }
};

template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
