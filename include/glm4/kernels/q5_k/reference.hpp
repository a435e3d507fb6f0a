// q5_k's scalar integer references: the twins the tests hold every target's
// kernels to (int16 dot: reference_dot; int8 decode: reference_gemv). Per
// 256-value super-block with sub-blocks s = 0..7 of 32 values,
// x = d sc[s] q - dmin mn[s], q in [0, 31]: q4_k's sums (kernels/q4_k.hpp)
// with 5-bit codes, value j of sub-block s being
//
//   q = (qs[32 (s / 2) + j] >> 4 (s % 2)) & 15  |  ((qh[j] >> s) & 1) << 4
//
// A sub-block's sum_j q a is at most 32 * 31 * 32767 < 2^25, and q4_k's
// kernels' bounds hold with 31 in place of 15 (each kernel's comment says
// how). The activations are q4_k's: q16k_act, and q8k_act for the decode.
// GLM-4-9B's Q5_K_S and Q5_K_M files store most matrices as q5_k.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q5_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

using block = quant::q5_k::block;
using activation = q16k_act;

// Code j of sub-block s.
inline int code(const block& b, int s, int j) {
  const int nibble = (b.qs[32 * (s / 2) + j] >> (4 * (s % 2))) & 15;
  return nibble | ((b.qh[j] >> s) & 1) << 4;
}

struct reference {
  // The int16 dot (min terms from the activations themselves, super-block
  // sums in int64).
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      std::int64_t isum = 0, msum = 0;
      for (int s = 0; s < 8; ++s) {
        const auto sm = quant::k_quants::get_scale_min(w[b].scales, s);
        const std::int16_t* x = a[b].qs + 32 * s;
        std::int32_t qs = 0, xs = 0;
        for (int j = 0; j < 32; ++j) {
          qs += code(w[b], s, j) * x[j];
          xs += x[j];
        }
        isum += static_cast<std::int64_t>(sm.scale) * qs;
        msum += static_cast<std::int64_t>(sm.min) * xs;
      }
      sum += static_cast<double>(a[b].d * quant::f16::to_float(w[b].d)) * static_cast<double>(isum) -
             static_cast<double>(a[b].d * quant::f16::to_float(w[b].dmin)) * static_cast<double>(msum);
    }
    return static_cast<float>(sum);
  }

  // The int8 decode (q8k_act activations), sub-block by sub-block.
  static float reference_gemv(const block* w, const q8k_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      for (int s = 0; s < 8; ++s) {
        const auto sm = quant::k_quants::get_scale_min(w[b].scales, s);
        const std::int8_t* x = a[b].sub_block(static_cast<std::size_t>(s));
        std::int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += code(w[b], s, j) * x[j];
        sum += static_cast<double>(quant::f16::to_float(w[b].d)) * sm.scale * a[b].d * isum -
               static_cast<double>(quant::f16::to_float(w[b].dmin)) * sm.min * a[b].dsum[8 + s];
      }
    }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations: q4_k's (q8k_act).
struct decode_layout {
  using gemv_activation = q8k_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) { qdetail::prepare_q8k(x, a, n); }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
