// iq4_nl's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value block, codes q in [0, 15] into the int8 levels,
//
//   sum_j d levels[q[j]] dx a[j] = d dx * isum,   isum = sum_j levels[q[j]] a[j]
//
// accumulated per block (ggml's ggml_vec_dot_iq4_nl_q8_0 with int16
// activations). |isum| <= 32 * 127 * 32767 < 2^27: exact in int32. The
// codes are packed as q4_0's (byte k: values k and k + 16).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/iq4_nl.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

using block = quant::iq4_nl::block;
inline constexpr auto& levels = quant::nonlinear_4bit::levels;

// levels + 128 as unsigned bytes (1 .. 241): the codes of kernels that
// multiply unsigned by signed bytes (vpdpbusd), q8x4_act's correction (and
// the panels' offset) taking the 128 back.
inline constexpr std::array<std::uint8_t, 16> offset_levels = [] {
  std::array<std::uint8_t, 16> u{};
  for (std::size_t i = 0; i < 16; ++i) u[i] = static_cast<std::uint8_t>(levels[i] + 128);
  return u;
}();

// One block's integer sum from its 16 code bytes against 32 activations,
// lo[j] meeting value j and hi[j] value j + 16.
template <class A>
std::int32_t block_isum(const std::uint8_t* qs, const A* lo, const A* hi) {
  std::int32_t isum = 0;
  for (int j = 0; j < 16; ++j) isum += levels[qs[j] & 15] * lo[j] + levels[qs[j] >> 4] * hi[j];
  return isum;
}

struct reference {
  // The int16 dot (q16_act).
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b)
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * block_isum(w[b].qs, a[b].qs, a[b].qs + 16);
    return static_cast<float>(sum);
  }

  // The int8 decode (q8x4_act), block by block in value order.
  static float reference_gemv(const block* w, const q8x4_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const q8x4_act& x = a[b / 4];
      const std::size_t k = b % 4;
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[4 * k] / qdetail::f16_fold)) *
             block_isum(w[b].qs, x.lo + 16 * k, x.hi + 16 * k);
    }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations: q8x4_act with the correction of
// offset_levels (kernels of signed levels leave it unused).
struct decode_layout {
  using gemv_activation = q8x4_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x4(x, a, n, 128, qdetail::f16_fold);
  }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
