// q8k_act: a 256-value super-block of int8 activations with one scale, as
// ggml's q8_K, for q4_k's decode kernels; and the super-block scale both q8k
// layouts (this and activations/q8k_bsums.hpp) share.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Where value j of sub-block s of a q8k_act lies in its qs: in the order of
// the target's q4_k decode kernel. AVX-512 VBMI's chains two vpdpbusd per
// lane and so needs each lane to hold one sub-block in two vectors: the
// halves of sub-blocks 2k and 2k + 1 in 128-bit lane k of
//   qs[0 .. 63]: values 0-15 of sub-block 2k,    qs[64 ..]: values 16-31,
//   qs[128 ..]:  values 0-15 of sub-block 2k + 1, qs[192 ..]: values 16-31.
// Elsewhere each sub-block's 32 values are contiguous, in the order of the
// kernels' nibble vectors: 64-byte piece i = sub-blocks 4 (i / 2) + i % 2
// (bytes 0-31) and that + 2 (32-63).
inline constexpr bool q8k_paired_lanes = int8_target == int8_family::avx512vbmi;
constexpr std::size_t q8k_offset(std::size_t s, std::size_t j) {
  return q8k_paired_lanes ? 64 * (2 * (s % 2) + j / 16) + 16 * (s / 2) + j % 16
                          : 64 * (2 * (s / 4) + s % 2) + 32 * ((s % 4) / 2) + j;
}

// A 256-value super-block for q4_k's decode kernel with one scale for all
// of it, as ggml's q8_K: d = max |x| / 127 over the 256 values (a value's
// rounding error up to amax / 254 of the super-block, not of its 32-value
// block), so the kernel can weight its sub-blocks' integer sums by their
// scales before any float step. Its values in q8k_offset's order, and
//   dsum[8 + s] = d * sum of sub-block s's values (lanes 0-7 zero),
// so that q4_k's min term is one product with its unpacked mins.
struct alignas(64) q8k_act {
  static constexpr std::size_t values = 256;
  static constexpr std::size_t scale_values = 256;
  std::int8_t qs[256];
  float dsum[16];
  float d;

  // Value j of sub-block s (in the contiguous order, at(s, 0) starts all 32).
  std::int8_t* at(std::size_t s, std::size_t j) { return qs + q8k_offset(s, j); }
  const std::int8_t* at(std::size_t s, std::size_t j) const { return qs + q8k_offset(s, j); }
};
static_assert(sizeof(q8k_act) == 384);

namespace qdetail {

// A super-block's one scale (the q8k layouts): d = max |x| / 127 over its
// 256 values, and the factor quantize_q8's rounding multiplies by.
struct q8k_scale {
  float d, id;
};
inline q8k_scale super_block_scale(const float* v) {
  const float amax = absmax(v, 256);
  return {amax / 127.0f, amax != 0.0f ? 127.0f / amax : 0.0f};
}

// For each 256-value super-block of n activations: its d set, then
// fill(out, values, id) (id: the rounding factor).
template <class A, class Fill>
void each_super_block(const float* x, A* a, std::size_t n, Fill fill) {
  for (std::size_t sb = 0; sb < n / 256; ++sb) {
    const float* v = x + 256 * sb;
    const auto [d, id] = super_block_scale(v);
    a[sb].d = d;
    fill(a[sb], v, id);
  }
}

// n activations to n / 256 q8k_act super-blocks.
inline void prepare_q8k(const float* x, q8k_act* a, std::size_t n) {
  each_super_block(x, a, n, [](q8k_act& out, const float* v, float id) {
    std::fill_n(out.dsum, 8, 0.0f);
    for (std::size_t s = 0; s < 8; ++s) {
      int sum = 0;
      for (std::size_t h = 0; h < 2; ++h) sum += round_q8(v + 32 * s + 16 * h, id, out.at(s, 16 * h), 16);
      out.dsum[8 + s] = out.d * static_cast<float>(sum);
    }
  });
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
