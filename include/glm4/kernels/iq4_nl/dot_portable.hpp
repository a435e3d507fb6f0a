// iq4_nl's portable int16 dot (Highway), compiled on every target; the dot
// of targets without an x86 one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

struct portable {
  // The codes through the levels (a table lookup), then the widening int16
  // dot product.
  static float portable_dot(const block* w, const q16_act* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t v[32];
    for (std::size_t b = 0; b < n / 32; ++b) {
      qdetail::nibble_levels(w[b].qs, levels.data(), v);
      sum += qdetail::half_to_float(w[b].d) * a[b].d * static_cast<float>(qdetail::idot(v, a[b].qs, 32));
    }
    return sum;
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
