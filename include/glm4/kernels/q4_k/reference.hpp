// q4_k's scalar integer references: the twins the tests hold every target's
// kernels to (int16 dot: reference_dot; int8 decode: reference_gemv).
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

using block = quant::q4_k::block;
using activation = q16k_act;

// Code j of sub-block s: chunk s / 2's low (even s) or high nibbles.
inline int code(const block& b, int s, int j) {
  const std::uint8_t* q = b.qs + 32 * (s / 2);
  return s % 2 ? q[j] >> 4 : q[j] & 15;
}

// The references of the super-blocks with q4_k's scales and mins (q4_k,
// q5_k), given code(b, s, j), value j of sub-block s:
// the int16 dot (min terms from the activations themselves, super-block
// sums in int64),
template <class Block, class Code>
float scale_min_reference_dot(const Block* w, const activation* a, std::size_t n, Code code) {
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

// and the int8 decode (q8k_act activations), sub-block by sub-block.
template <class Block, class Code>
float scale_min_reference_gemv(const Block* w, const q8k_act* a, std::size_t n, Code code) {
  double sum = 0.0;
  for (std::size_t b = 0; b < n / 256; ++b) {
    for (int s = 0; s < 8; ++s) {
      const auto sm = quant::k_quants::get_scale_min(w[b].scales, s);
      std::int32_t isum = 0;
      for (int j = 0; j < 32; ++j)
        isum += code(w[b], s, j) * *a[b].at(static_cast<std::size_t>(s), static_cast<std::size_t>(j));
      sum += static_cast<double>(quant::f16::to_float(w[b].d)) * sm.scale * a[b].d * isum -
             static_cast<double>(quant::f16::to_float(w[b].dmin)) * sm.min * a[b].dsum[8 + s];
    }
  }
  return static_cast<float>(sum);
}

struct reference {
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    return scale_min_reference_dot(w, a, n, code);
  }
  static float reference_gemv(const block* w, const q8k_act* a, std::size_t n) {
    return scale_min_reference_gemv(w, a, n, code);
  }
};

// The int8 decode kernels' activations (decode_*.hpp): q8k_act, one scale
// per super-block as ggml's q8_K, so that a kernel weights the sub-blocks'
// integer sums by their scales in int32 and takes one float step per
// super-block.
struct decode_layout {
  using gemv_activation = q8k_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) { qdetail::prepare_q8k(x, a, n); }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
