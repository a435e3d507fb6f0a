// The sampler's random numbers: xoshiro256** (Blackman & Vigna), seeded
// through splitmix64 as its authors recommend. Our own generator rather than
// <random>'s distributions, whose output is implementation-defined: a seed must
// give the same tokens with libstdc++, libc++ and MSVC alike.
#pragma once

#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::sampling {

class xoshiro256ss {
 public:
  explicit constexpr xoshiro256ss(std::uint64_t seed) {
    // splitmix64 spreads any seed, 0 included, over the four words; xoshiro
    // must not start from an all-zero state.
    for (std::uint64_t& word : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      word = z ^ (z >> 31);
    }
  }

  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits fill a double's mantissa exactly.
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4]{};
};

}  // namespace glm4::inline GLM4_TARGET::sampling
