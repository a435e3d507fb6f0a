// q6_k's scalar integer references: the twins the tests hold every target's
// kernels to (int16 dot: reference_dot; int8 decode: reference_gemv).
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/activations/q8k_bsums.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q6_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

using block = quant::q6_k::block;
using activation = q16k_act;

// Code of value v (0..255) of a block, 0..63.
inline int code(const block& w, int v) {
  const int h = v / 128, m = v % 128 % 64, hi_nib = v % 128 / 64, l = v % 32, pair = v % 128 / 32;
  const int low = hi_nib ? w.ql[64 * h + m] >> 4 : w.ql[64 * h + m] & 15;
  return low | (((w.qh[32 * h + l] >> (2 * pair)) & 3) << 4);
}

struct reference {
  // The int16 dot (super-block sums in int64).
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      std::int64_t isum = 0;
      for (int s = 0; s < 16; ++s) {
        std::int32_t ss = 0;
        for (int j = 0; j < 16; ++j) ss += (code(w[b], 16 * s + j) - 32) * a[b].qs[16 * s + j];
        isum += static_cast<std::int64_t>(w[b].scales[s]) * ss;
      }
      sum += static_cast<double>(a[b].d * quant::f16::to_float(w[b].d)) * static_cast<double>(isum);
    }
    return static_cast<float>(sum);
  }

  // The int8 decode (q8k_bsums_act activations), sub-block by sub-block
  // with the codes minus 32.
  static float reference_gemv(const block* w, const q8k_bsums_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b)
      for (int s = 0; s < 16; ++s) {
        std::int32_t ss = 0;
        for (int j = 0; j < 16; ++j) ss += (code(w[b], 16 * s + j) - 32) * a[b].qs[16 * s + j];
        sum += static_cast<double>(quant::f16::to_float(w[b].d)) * w[b].scales[s] * a[b].d * ss;
      }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations (decode_*.hpp): q8k_bsums_act, ggml's
// q8_K. A kernel multiplies the unsigned codes u = q in [0, 63] by the
// activations, weights each 16-value sub-block's sum by sc[s] in int32,
// takes the -32 offset as (32 sc[s]) neg_sums[s] in the same sum, then one
// float step per super-block. In int16, code pairs times activations are at
// most 2 * 63 * 127 = 16002 (vpmaddubsw cannot saturate) and
// |32 sc| <= 4096; an int32 lane sums at most 2 + 16 such products times
// scales (< 2^26).
struct decode_layout {
  using gemv_activation = q8k_bsums_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) { qdetail::prepare_q8k_bsums(x, a, n); }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
