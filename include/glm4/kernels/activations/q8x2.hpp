// q8x2_act: 64 int8 activations (q8_act's rounding, activations/q8.hpp) in
// value order, for the decode kernels that gather two weight blocks at a
// time (q8_0's gemv_dot).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Two 32-value blocks in value order: dword lane l covers block l / 8,
// values 4 (l % 8) .. + 3; corr and d as in q8x4_act.
struct alignas(64) q8x2_act {
  static constexpr std::size_t values = 64;
  static constexpr std::size_t scale_values = 32;
  std::int8_t qs[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x2_act) == 192);

namespace qdetail {

// n activations to n / 64 q8x2_act groups, the scales times d_scale.
inline void prepare_q8x2(const float* x, q8x2_act* a, std::size_t n, int offset, float d_scale) {
  for (std::size_t g = 0; g < n / 64; ++g) {
    q8x2_act& out = a[g];
    for (std::size_t k = 0; k < 2; ++k) {
      q8_act b;
      quantize_q8(x + 64 * g + 32 * k, b);
      std::memcpy(out.qs + 32 * k, b.qs, 32);
      for (std::size_t l = 0; l < 8; ++l) {
        out.corr[8 * k + l] = -offset * (b.qs[4 * l] + b.qs[4 * l + 1] + b.qs[4 * l + 2] + b.qs[4 * l + 3]);
        out.d[8 * k + l] = b.d * d_scale;
      }
    }
  }
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
