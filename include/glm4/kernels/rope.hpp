// The rotation of rotary position embedding, given the cos and sin of each
// frequency at the token's position (model/rope.hpp makes them from the
// config). GLM rotates only the first rotary_dim channels of each head
// (partial_rotary_factor, 0.5 in every GLM-4), as adjacent pairs
// (x[2i], x[2i+1]) — the GPT-J / "interleaved" layout, not the NeoX halves:
//   x'[2i]   = x[2i] cos(p θ_i) - x[2i+1] sin(p θ_i)
//   x'[2i+1] = x[2i+1] cos(p θ_i) + x[2i] sin(p θ_i),   θ_i = base^(-2i/rotary_dim)
// The remaining channels pass through untouched (transformers' Glm
// apply_rotary_pos_emb; llama.cpp LLAMA_ROPE_TYPE_NORM with n_rot = rotary_dim).
// GLM-130B rotates whole heads as NeoX halves instead, channel i with channel
// i + head_dim/2 (SwissArmyTransformer's rotate_half):
//   x'[i] = x[i] cos(p θ_i) - x[i+h] sin(p θ_i),  x'[i+h] = x[i+h] cos(p θ_i) + x[i] sin(p θ_i).
#pragma once

#include <cstddef>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Which channel a rotated channel pairs with.
enum class rotary_pairs { interleaved, halves };

// Rotates the first rotary_dim channels of each of `heads` heads of
// `head_dim` channels, in place; cos and sin hold rotary_dim/2 values each.
inline void rotate_heads(float* x, std::size_t heads, std::size_t head_dim, std::size_t rotary_dim, rotary_pairs pairs,
                         const float* cos, const float* sin) {
  const std::size_t half = rotary_dim / 2;
  const bool halves = pairs == rotary_pairs::halves;
  // the partner of channel c: the next one, or the one half a rotation on
  const std::size_t first_step = halves ? 1 : 2, partner = halves ? half : 1;
  for (std::size_t h = 0; h < heads; ++h) {
    float* v = x + h * head_dim;
    for (std::size_t i = 0; i < half; ++i) {
      float& a = v[i * first_step];
      float& b = v[i * first_step + partner];
      const float a0 = a, b0 = b;
      a = a0 * cos[i] - b0 * sin[i];
      b = b0 * cos[i] + a0 * sin[i];
    }
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels
