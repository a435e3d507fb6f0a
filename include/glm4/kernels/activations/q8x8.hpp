// q8x8_act: 256 int8 activations as two q8x4_act, the decode layout of the
// super-block formats whose codes are packed as four 32-value blocks' (byte
// 16 k + j of each 64-byte half holds values j and j + 16 of sub-block k):
// iq4_xs.
#pragma once

#include <cstddef>

#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

struct alignas(64) q8x8_act {
  static constexpr std::size_t values = 256;
  static constexpr std::size_t scale_values = 32;
  q8x4_act half[2];
};
static_assert(sizeof(q8x8_act) == 2 * sizeof(q8x4_act));

namespace qdetail {

// n activations (a multiple of 256) to n / 256 groups, with q8x4's
// correction for `offset` and its scales times d_scale.
inline void prepare_q8x8(const float* x, q8x8_act* a, std::size_t n, int offset, float d_scale) {
  prepare_q8x4(x, a->half, n, offset, d_scale);  // the halves are consecutive q8x4_act
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
