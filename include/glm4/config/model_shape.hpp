// The numbers that define a GLM-4 model, as plain runtime data. A compiled
// configuration (config/model_config.hpp) is a type whose static members are
// these numbers; `shape_of<Config>()` turns it into this struct. The compute
// code takes the struct, not the type, so one instantiation of the forward
// pass serves every configuration with the same weight scheme (gemma.cpp's
// per-config instantiations made its binaries 4x larger; we keep the types at
// the API and the data in the loops).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace glm4 {

// Which decoder block the checkpoint uses.
//   glm:  GLM-4-9B(-chat), HF GlmForCausalLM: pre-norm attention and MLP.
//   glm4: GLM-4-0414 / GLM-Z1, HF Glm4ForCausalLM: also RMSNorms on the
//         attention output and on the MLP output, before each residual add.
//   glm130b: GLM-130B (SwissArmyTransformer): post-LayerNorm DeepNorm blocks
//         with biases, GeGLU, rotary over whole heads in NeoX halves, a fused
//         per-head [q|k|v] projection, output tied to the embedding
//         (model/glm130b_block.hpp).
enum class block_style { glm, glm4, glm130b };

constexpr std::string_view to_string(block_style s) {
  switch (s) {
    case block_style::glm: return "glm (GlmForCausalLM)";
    case block_style::glm4: return "glm4 (Glm4ForCausalLM)";
    case block_style::glm130b: return "glm130b (GLM-130B)";
  }
  return "unknown";
}

// YaRN context extension (transformers' `_compute_yarn_parameters`). A factor
// of 1 means plain RoPE.
struct yarn_scaling {
  double factor = 1.0;
  std::int64_t original_max_positions = 0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  // 0 selects transformers' default 0.1 * ln(factor) + 1.
  double attention_factor = 0.0;

  constexpr bool enabled() const { return factor != 1.0; }
  friend constexpr bool operator==(const yarn_scaling&, const yarn_scaling&) = default;
};

// Precision of the rotary frequencies θ_i. transformers computes them in
// float32; a model cast with `model.to(torch.bfloat16)` also rounds that
// buffer to bf16, which moves every angle by up to 2^-9 relative (a visible
// logit change after a few dozen positions). `bf16` reproduces that, for
// references made that way (our golden fixtures are); real use wants `f32`.
enum class rope_frequency_precision { f32, bf16 };

struct model_shape {
  block_style style = block_style::glm4;
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  double partial_rotary_factor = 0.5;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;  // the LayerNorms' eps in glm130b blocks
  yarn_scaling rope_scaling{};
  std::int64_t max_context = 0;
  bool tie_word_embeddings = false;
  rope_frequency_precision rope_precision = rope_frequency_precision::f32;

  // Channels of each head that rotate; the rest pass through unchanged.
  constexpr std::int64_t rotary_dim() const {
    return static_cast<std::int64_t>(static_cast<double>(head_dim) * partial_rotary_factor);
  }
  constexpr std::int64_t q_dim() const { return num_heads * head_dim; }
  constexpr std::int64_t kv_dim() const { return num_kv_heads * head_dim; }
  // GLM-130B's DeepNorm: each residual branch adds to alpha times its input.
  double deepnorm_alpha() const { return std::sqrt(2.0 * static_cast<double>(num_layers)); }

  friend constexpr bool operator==(const model_shape&, const model_shape&) = default;
};

}  // namespace glm4
