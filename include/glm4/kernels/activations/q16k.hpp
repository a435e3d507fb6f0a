// q16k_act: a k-quant super-block of 256 activations as int16, the int16 dot
// of q4_k and q6_k: q16_act's rounding (activations/q16.hpp) over 256 values
// with one scale, and sums[s] = the sum of qs[32 s .. 32 s + 31]
// (|sums| <= 32 * 32767, needs int32), which q4_k's min term uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

struct q16k_act {
  float d;
  std::int16_t qs[256];
  std::int32_t sums[8];
};
static_assert(sizeof(q16k_act) == 548);

namespace qdetail {
inline void fill_sums(q16k_act& a) {
  for (int s = 0; s < 8; ++s) {
    std::int32_t sum = 0;
    for (int j = 0; j < 32; ++j) sum += a.qs[32 * s + j];
    a.sums[s] = sum;
  }
}
}  // namespace qdetail

// activation / prepare for the k-quants' 256-value super-blocks.
struct q16k_activation {
  using activation = q16k_act;
  static constexpr std::size_t activation_block_elems = 256;
  static void prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 256; ++b) {
      a[b].d = qdetail::quantize_block(x + 256 * b, a[b].qs, 256);
      qdetail::fill_sums(a[b]);
    }
  }
  static void reference_prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 256; ++b) {
      a[b].d = qdetail::quantize_block_reference(x + 256 * b, a[b].qs, 256);
      qdetail::fill_sums(a[b]);
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
