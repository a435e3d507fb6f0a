// q5_1's portable int16 dot (Highway), compiled on every target; the dot of
// targets without an x86 one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_1/dot_portable.hpp"
#include "glm4/kernels/q5_0/dot_portable.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q5_1.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

using block = quant::q5_1::block;

struct portable {
  // q4_1's loop (q4_1/dot_portable.hpp) with the nibbles plus 16 where the
  // fifth bit is set (q5_0's add_fifth_bits).
  static float portable_dot(const block* w, const q16_act* a, std::size_t n) {
    return q4_1_kernels::portable_min_dot(w, a, n, [](const block& b, std::int8_t* q) {
      qdetail::split_nibbles(b.qs, 16, q, q + 16, 0);
      q5_0_kernels::add_fifth_bits(b.qh, q);
    });
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
