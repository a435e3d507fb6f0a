// Normal random values with an outlier every 97th (x8), as real activations
// have: the inputs of the integer kernels' tests.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace glm4::testing {

inline std::vector<float> random_activations(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  for (std::size_t i = 0; i < n; i += 97) v[i] *= 8.0f;
  return v;
}

}  // namespace glm4::testing
