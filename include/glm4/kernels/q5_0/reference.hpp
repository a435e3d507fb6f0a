// q5_0's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value block, codes q in [0, 31],
//
//   sum_j dw (q[j] - 16) dx a[j] = dw dx * isum,   isum = sum_j (q[j] - 16) a[j]
//
// accumulated per block (ggml's ggml_vec_dot_q5_0_q8_0 with int16
// activations). |isum| <= 32 * 16 * 32767 < 2^24: exact in int32. Value j's
// low four bits are nibble j of the block's "low nibbles then high nibbles"
// (as q4_0), its fifth bit is bit j of qh. GLM-4-9B's Q4_K_M files store
// ffn_down (rows of 13696, no whole 256-value super-blocks) as q5_0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/q5_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

using block = quant::q5_0::block;

// The block's fifth bits: bit j is value j's.
inline std::uint32_t high_bits(const block& b) { return quant::five_bit::high_bits(b.qh); }

struct reference {
  // The int16 dot (q16_act).
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const std::uint32_t qh = high_bits(w[b]);
      std::int32_t isum = 0;
      for (int j = 0; j < 16; ++j) {
        const int lo = (w[b].qs[j] & 15) | static_cast<int>((qh >> j) & 1) << 4;
        const int hi = (w[b].qs[j] >> 4) | static_cast<int>((qh >> (j + 16)) & 1) << 4;
        isum += (lo - 16) * a[b].qs[j] + (hi - 16) * a[b].qs[j + 16];
      }
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum;
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
      std::int32_t isum = 0;
      for (std::size_t j = 0; j < 16; ++j) {
        const int lo = (w[b].qs[j] & 15) | static_cast<int>((qh >> j) & 1u) << 4;
        const int hi = (w[b].qs[j] >> 4) | static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        isum += (lo - 16) * x.lo[16 * k + j] + (hi - 16) * x.hi[16 * k + j];
      }
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[4 * k] / qdetail::f16_fold)) * isum;
    }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations: q8x4_act (as q4_0) with the -16
// correction.
struct decode_layout {
  using gemv_activation = q8x4_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x4(x, a, n, 16, qdetail::f16_fold);
  }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
