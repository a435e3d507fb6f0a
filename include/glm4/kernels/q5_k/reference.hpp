// q5_k's scalar integer references: the twins the tests hold every target's
// kernels to (int16 dot: reference_dot; int8 decode: reference_gemv), q4_k's
// with q5_k's codes. Per
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
#include "glm4/kernels/q4_k/reference.hpp"
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
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    return q4_k_kernels::scale_min_reference_dot(w, a, n, code);
  }
  static float reference_gemv(const block* w, const q8k_act* a, std::size_t n) {
    return q4_k_kernels::scale_min_reference_gemv(w, a, n, code);
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
