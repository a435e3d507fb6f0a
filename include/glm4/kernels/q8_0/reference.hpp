// q8_0's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value block
//
//   sum_j (dw q[j]) (dx a[j]) = dw dx * isum,   isum = sum_j q[j] a[j]   (int32)
//
// accumulated per block, as ggml's ggml_vec_dot_q8_0_q8_0 with int16
// activations. |isum| <= 32 * 128 * 32767 < 2^28: exact in int32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x2.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

using block = quant::q8_0::block;

struct reference {
  // The int16 dot (q16_act).
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      std::int32_t isum = 0;
      for (int j = 0; j < 32; ++j) isum += w[b].qs[j] * a[b].qs[j];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum;
    }
    return static_cast<float>(sum);
  }

  // The int8 decode (q8x2_act), block by block.
  static float reference_gemv(const block* w, const q8x2_act* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const q8x2_act& x = a[b / 2];
      std::int32_t isum = 0;
      for (std::size_t j = 0; j < 32; ++j) isum += w[b].qs[j] * x.qs[32 * (b % 2) + j];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[8 * (b % 2)] / qdetail::f16_fold)) * isum;
    }
    return static_cast<float>(sum);
  }
};

// The int8 decode kernels' activations: q8x2_act with the -128 correction
// (for the x86 kernel's unsigned codes q + 128).
struct decode_layout {
  using gemv_activation = q8x2_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x2(x, a, n, 128, qdetail::f16_fold);
  }
};

// The int8 decode of a target family (decode_*.hpp specialize it): none
// where no header does.
template <int8_family>
struct int8_decode {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
