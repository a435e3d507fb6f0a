// q4_k's portable int16 dot (Highway, plain C++), compiled for every target,
// and what a target without kernels of its own runs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/q4_k/scales.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// The portable int16 dot of the super-blocks with q4_k's scales and mins
// (q4_k, q5_k): unpack(b, c, lo, hi) writes chunk c's codes of sub-blocks
// 2c (lo) and 2c + 1 (hi) as int8, then one int32 dot per sub-block (exact
// in float: < 2^24), scaled in float.
template <class Block, class Unpack>
float portable_scale_min_dot(const Block* w, const activation* a, std::size_t n, Unpack unpack) {
  float sum = 0.0f;
  alignas(16) std::int8_t lo[32], hi[32];
  std::uint8_t sm[16];
  for (std::size_t b = 0; b < n / 256; ++b) {
    qdetail::unpack_q4_k_scales(w[b].scales, sm);
    float qsum = 0.0f;
    std::int32_t msum = 0;
    for (int c = 0; c < 4; ++c) {
      unpack(w[b], c, lo, hi);
      qsum += static_cast<float>(sm[2 * c]) * static_cast<float>(qdetail::idot(lo, a[b].qs + 64 * c, 32)) +
              static_cast<float>(sm[2 * c + 1]) * static_cast<float>(qdetail::idot(hi, a[b].qs + 64 * c + 32, 32));
    }
    for (int s = 0; s < 8; ++s) msum += sm[8 + s] * a[b].sums[s];
    sum +=
        a[b].d * (qdetail::half_to_float(w[b].d) * qsum - qdetail::half_to_float(w[b].dmin) * static_cast<float>(msum));
  }
  return sum;
}

struct portable {
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    return portable_scale_min_dot(w, a, n, [](const block& b, int c, std::int8_t* lo, std::int8_t* hi) {
      qdetail::split_nibbles(b.qs + 32 * c, 32, lo, hi, 0);  // sub-blocks 2c, 2c + 1
    });
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const activation* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
