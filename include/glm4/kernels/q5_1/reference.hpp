// q5_1's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value block, codes q in [0, 31] and x = dw q + m,
//
//   sum_j (dw q[j] + m) dx a[j] = dw dx * isum + m dx * asum,
//   isum = sum_j q[j] a[j],   asum = sum_j a[j]
//
// (ggml's ggml_vec_dot_q5_1_q8_1 with int16 activations). |isum| <= 32 *
// 31 * 32767 < 2^25 and |asum| <= 32 * 32767 < 2^20: exact in int32. The
// codes are stored as q5_0's (quant/five_bit_codes.hpp). GLM-4-9B's Q5_K_S
// and Q5_K_M files store ffn_down (rows of 13696, no whole 256-value
// super-blocks) as q5_1.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/q4_1/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/q5_1.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

using block = quant::q5_1::block;

// The block's fifth bits: bit j is value j's.
inline std::uint32_t high_bits(const block& b) { return quant::five_bit::high_bits(b.qh); }

// Code j of the block.
inline int code(const block& b, std::size_t j) { return quant::five_bit::code(b.qs, high_bits(b), j); }

// q4_1's references (q4_1/reference.hpp) with these codes.
struct reference {
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    return q4_1_kernels::min_reference_dot(w, a, n, code);
  }
  static float reference_gemv(const block* w, const q8x4_act* a, std::size_t n) {
    return q4_1_kernels::min_reference_gemv(w, a, n, code);
  }
};

// The int8 decode kernels' activations: q8x4_act with offset -1 (as q4_1):
// corr holds each lane's activation sum, which the kernels scale by m dx.
struct decode_layout {
  using gemv_activation = q8x4_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x4(x, a, n, -1, qdetail::f16_fold);
  }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
