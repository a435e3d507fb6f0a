// q8k_bsums_act: ggml's q8_K with its 16-value sums, for q6_k's decode
// kernels; q8k_act's super-block scale (activations/q8k.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// 256 values in value order with one scale d as in q8k_act, and
// neg_sums[s] = minus the sum of values 16 s .. 16 s + 15 (|.| <= 16 * 127;
// ggml's bsums negated), with which a kernel of unsigned codes u = q + 32
// takes the offset out once per 16-value sub-block, (32 sc[s]) neg_sums[s]
// (one shift of the scales, no negation), instead of once per value.
struct alignas(64) q8k_bsums_act {
  static constexpr std::size_t values = 256;
  static constexpr std::size_t scale_values = 256;
  std::int8_t qs[256];
  std::int16_t neg_sums[16];
  float d;
};
static_assert(sizeof(q8k_bsums_act) == 320);

namespace qdetail {

// n activations to n / 256 q8k_bsums_act super-blocks.
inline void prepare_q8k_bsums(const float* x, q8k_bsums_act* a, std::size_t n) {
  each_super_block(x, a, n, [](q8k_bsums_act& out, const float* v, float id) {
    for (std::size_t c = 0; c < 8; ++c) round_q8(v + 32 * c, id, out.qs + 32 * c);
    for (std::size_t s = 0; s < 16; ++s) {
      int sum = 0;
      for (std::size_t j = 0; j < 16; ++j) sum += out.qs[16 * s + j];
      out.neg_sums[s] = static_cast<std::int16_t>(-sum);
    }
  });
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
