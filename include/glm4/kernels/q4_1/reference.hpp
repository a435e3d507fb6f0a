// q4_1's scalar integer references, the twins the tests hold its SIMD
// kernels to. Per 32-value block, codes q in [0, 15] and x = dw q + m,
//
//   sum_j (dw q[j] + m) dx a[j] = dw dx * isum + m dx * asum,
//   isum = sum_j q[j] a[j],   asum = sum_j a[j]
//
// (ggml's ggml_vec_dot_q4_1_q8_1, whose q8_1 blocks carry dx * asum, with
// int16 activations). |isum| <= 32 * 15 * 32767 < 2^24 and |asum| <= 32 *
// 32767 < 2^20: exact in int32. Byte k of the block holds q[k] (low nibble)
// and q[k + 16] (high nibble), as q4_0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_1.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

using block = quant::q4_1::block;

// Code j of the block: byte j's low nibble, or byte j - 16's high one.
inline int code(const block& b, std::size_t j) { return j < 16 ? b.qs[j] & 15 : b.qs[j - 16] >> 4; }

// The references of the 32-value blocks with a minimum (q4_1, q5_1), given
// code(b, j), the code of value j: the int16 dot (q16_act),
template <class Block, class Code>
float min_reference_dot(const Block* w, const q16_act* a, std::size_t n, Code code) {
  double sum = 0.0;
  for (std::size_t b = 0; b < n / 32; ++b) {
    std::int32_t isum = 0, asum = 0;
    for (std::size_t j = 0; j < 32; ++j) {
      isum += code(w[b], j) * a[b].qs[j];
      asum += a[b].qs[j];
    }
    sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum +
           static_cast<double>(quant::f16::to_float(w[b].m) * a[b].d) * asum;
  }
  return static_cast<float>(sum);
}

// and the int8 decode (q8x4_act: value j of block k at lo[16 k + j], value
// j + 16 at hi[16 k + j]), block by block in value order.
template <class Block, class Code>
float min_reference_gemv(const Block* w, const q8x4_act* a, std::size_t n, Code code) {
  double sum = 0.0;
  for (std::size_t b = 0; b < n / 32; ++b) {
    const q8x4_act& x = a[b / 4];
    const std::size_t k = b % 4;
    std::int32_t isum = 0, asum = 0;
    for (std::size_t j = 0; j < 32; ++j) {
      const int v = j < 16 ? x.lo[16 * k + j] : x.hi[16 * k + j - 16];
      isum += code(w[b], j) * v;
      asum += v;
    }
    const double dx = x.d[4 * k] / qdetail::f16_fold;
    sum += static_cast<double>(quant::f16::to_float(w[b].d)) * dx * isum +
           static_cast<double>(quant::f16::to_float(w[b].m)) * dx * asum;
  }
  return static_cast<float>(sum);
}

struct reference {
  static float reference_dot(const block* w, const q16_act* a, std::size_t n) {
    return min_reference_dot(w, a, n, code);
  }
  static float reference_gemv(const block* w, const q8x4_act* a, std::size_t n) {
    return min_reference_gemv(w, a, n, code);
  }
};

// The int8 decode kernels' activations: q8x4_act with offset -1, so that
// corr holds each lane's activation sum (+asum), which the kernels scale by
// m dx.
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

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
