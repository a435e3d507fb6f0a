// iq4_xs's portable int16 dot (Highway), compiled on every target: iq4_nl's
// per sub-block, with its scale.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_xs/reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

struct portable {
  static float portable_dot(const block* w, const q16_act* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t v[32];
    for (std::size_t b = 0; b < n / 256; ++b) {
      const float d = qdetail::half_to_float(w[b].d);
      for (int s = 0; s < 8; ++s) {
        const q16_act& x = a[8 * b + static_cast<std::size_t>(s)];
        qdetail::nibble_levels(w[b].qs + 16 * s, levels.data(), v);
        sum += d * static_cast<float>(quant::iq4_xs::sub_scale(w[b], s)) * x.d *
               static_cast<float>(qdetail::idot(v, x.qs, 32));
      }
    }
    return sum;
  }
};

template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const q16_act* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
