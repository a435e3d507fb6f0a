// q4_1's portable int16 dot (Highway), compiled on every target; the dot of
// targets without an x86 one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_1.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

using block = quant::q4_1::block;

// The portable int16 dot of the 32-value blocks with a minimum (q4_1,
// q5_1): unpack(b, q) writes the block's 32 codes as int8 in value order,
// then the widening int16 dot product and the block's activation sum for
// the minimum.
template <class Block, class Unpack>
float portable_min_dot(const Block* w, const q16_act* a, std::size_t n, Unpack unpack) {
  float sum = 0.0f;
  alignas(16) std::int8_t q[32];
  for (std::size_t b = 0; b < n / 32; ++b) {
    unpack(w[b], q);
    sum += a[b].d * (qdetail::half_to_float(w[b].d) * static_cast<float>(qdetail::idot(q, a[b].qs, 32)) +
                     qdetail::half_to_float(w[b].m) * static_cast<float>(qdetail::sum32(a[b].qs)));
  }
  return sum;
}

struct portable {
  static float portable_dot(const block* w, const q16_act* a, std::size_t n) {
    return portable_min_dot(w, a, n, [](const block& b, std::int8_t* q) {
      qdetail::split_nibbles(b.qs, 16, q, q + 16, 0);  // byte k: values k, k + 16
    });
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
