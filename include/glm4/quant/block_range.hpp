// The smallest and largest value of a block, as ggml's min / max encoders
// (q4_1, q5_1) scan it: in order, starting from +-FLT_MAX.
#pragma once

#include <cfloat>
#include <cstddef>

namespace glm4::quant {

struct value_range {
  float min;
  float max;
};

inline value_range block_range(const float* x, std::size_t n) {
  value_range r{FLT_MAX, -FLT_MAX};
  for (std::size_t j = 0; j < n; ++j) {
    if (x[j] < r.min) r.min = x[j];
    if (x[j] > r.max) r.max = x[j];
  }
  return r;
}

}  // namespace glm4::quant
