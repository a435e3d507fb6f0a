// q8x4_act: 128 int8 activations (q8_act's rounding, activations/q8.hpp) in
// the order of the decode kernels that gather four weight blocks at a time
// (the gemv_dot of q4_0, q5_0, q4_1 and q5_1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Four 32-value blocks of int8 activations (ggml's q8_0 rounding, f32
// scales) in the order of the decode kernels that gather four weight blocks
// at a time (q4_0's gemv_dot): dword lane l covers block l / 4,
//   lo[4 l .. 4 l + 3] = that block's values 4 (l % 4) .. + 3, hi the same + 16,
//   corr[l] = -offset * (the sum of those 8 values), where a kernel of
//   unsigned codes u = q + offset starts its sums (offset -1: the lane's
//   sum, which q4_1's and q5_1's kernels scale by the block minimum),
//   d[l] = the block's scale (times the d_scale given to prepare_q8x4:
//   f16_fold for add_scaled).
struct alignas(64) q8x4_act {
  static constexpr std::size_t values = 128;
  static constexpr std::size_t scale_values = 32;  // values per activation scale
  std::int8_t lo[64];
  std::int8_t hi[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x4_act) == 256);

namespace qdetail {

// n activations to n / 128 q8x4_act groups; the scales stored times d_scale
// (f16_fold for the kernels of add_scaled).
inline void prepare_q8x4(const float* x, q8x4_act* a, std::size_t n, int offset, float d_scale) {
  for (std::size_t g = 0; g < n / 128; ++g) {
    q8x4_act& out = a[g];
    for (std::size_t k = 0; k < 4; ++k) {
      q8_act b;
      quantize_q8(x + 128 * g + 32 * k, b);
      std::memcpy(out.lo + 16 * k, b.qs, 16);
      std::memcpy(out.hi + 16 * k, b.qs + 16, 16);
      for (std::size_t l = 0; l < 4; ++l) {
        int sum = 0;
        for (std::size_t j = 0; j < 4; ++j) sum += b.qs[4 * l + j] + b.qs[16 + 4 * l + j];
        out.corr[4 * k + l] = -offset * sum;
        out.d[4 * k + l] = b.d * d_scale;
      }
    }
  }
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
