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
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/q5_1.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

using block = quant::q5_1::block;

// The block's fifth bits: bit j is value j's.
inline std::uint32_t high_bits(const block& b) { return quant::five_bit::high_bits(b.qh); }

struct reference {
  // The int16 dot (q16_act).
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const std::uint32_t qh = high_bits(w[b]);
      std::int32_t isum = 0, asum = 0;
      for (std::size_t j = 0; j < 32; ++j) {
        isum += quant::five_bit::code(w[b].qs, qh, j) * a[b].qs[j];
        asum += a[b].qs[j];
      }
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum +
             static_cast<double>(quant::f16::to_float(w[b].m) * a[b].d) * asum;
    }
    return static_cast<float>(sum);
  }

  // The int8 decode (q8x4_act), block by block in value order.
  static float reference_gemv(const block* w, const q8x4_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const q8x4_act& x = a[b / 4];
      const std::size_t k = b % 4;
      const std::uint32_t qh = high_bits(w[b]);
      std::int32_t isum = 0, asum = 0;
      for (std::size_t j = 0; j < 16; ++j) {
        isum += quant::five_bit::code(w[b].qs, qh, j) * x.lo[16 * k + j] +
                quant::five_bit::code(w[b].qs, qh, j + 16) * x.hi[16 * k + j];
        asum += x.lo[16 * k + j] + x.hi[16 * k + j];
      }
      const double dx = x.d[4 * k] / qdetail::f16_fold;
      sum += static_cast<double>(quant::f16::to_float(w[b].d)) * dx * isum +
             static_cast<double>(quant::f16::to_float(w[b].m)) * dx * asum;
    }
    return static_cast<float>(sum);
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
