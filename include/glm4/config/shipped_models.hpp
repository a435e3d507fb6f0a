// The small random-weight models the repository ships in tests/data/models
// (made with transformers, see tests/data/models/README.md): real
// architectures at toy sizes. The glm4 command serves them like the presets
// (the README's first run is glm4-small); the tests and examples use them
// because they are small, not the other way round.
#pragma once

#include "glm4/config/presets.hpp"

namespace glm4::shipped_models {

// Glm4ForCausalLM, 3 layers of 128, 4 heads over 2 KV heads of 32.
struct glm4_tiny : presets::glm4_9b_0414 {
  static constexpr std::string_view name = "glm4-tiny";
  // The reference logits were computed after model.to(torch.bfloat16), which
  // rounded transformers' rotary inv_freq buffer to bf16 (model_shape.hpp).
  static constexpr rope_frequency_precision rope_precision = rope_frequency_precision::bf16;
  static constexpr std::int64_t vocab_size = 1024;
  static constexpr std::int64_t hidden_size = 128;
  static constexpr std::int64_t intermediate_size = 256;
  static constexpr std::int64_t num_layers = 3;
  static constexpr std::int64_t num_heads = 4;
  static constexpr std::int64_t num_kv_heads = 2;
  static constexpr std::int64_t head_dim = 32;
  static constexpr std::int64_t max_context = 8192;
};

// The same shape with GLM-4-9B (GlmForCausalLM) blocks; also the shape of
// glm-tiny-chatglm, its weights in the THUDM layout.
struct glm_tiny : glm4_tiny {
  static constexpr std::string_view name = "glm-tiny";
  static constexpr block_style style = block_style::glm;
};

// Glm4ForCausalLM with YaRN x4 over 32 original positions.
struct glm4_tiny_yarn : glm4_tiny {
  static constexpr std::string_view name = "glm4-tiny-yarn";
  static constexpr std::int64_t hidden_size = 64;
  static constexpr std::int64_t intermediate_size = 160;
  static constexpr std::int64_t num_layers = 2;
  static constexpr std::int64_t head_dim = 16;
  static constexpr yarn_scaling rope_scaling{.factor = 4.0, .original_max_positions = 32};
  static constexpr std::int64_t max_context = 128;
};

// Glm4ForCausalLM with rows of 256 (k-quant friendly); the model README's
// first command runs.
struct glm4_small : glm4_tiny {
  static constexpr std::string_view name = "glm4-small";
  static constexpr std::int64_t hidden_size = 256;
  static constexpr std::int64_t intermediate_size = 512;
  static constexpr std::int64_t num_layers = 2;
  static constexpr std::int64_t head_dim = 64;
};

// GLM-130B's network at 3 layers of 128, 4 heads of 32, GeGLU over 320
// (tests/data/models/glm130b-tiny).
struct glm130b_tiny : presets::glm_130b {
  static constexpr std::string_view name = "glm130b-tiny";
  static constexpr std::int64_t vocab_size = 1024;
  static constexpr std::int64_t hidden_size = 128;
  static constexpr std::int64_t intermediate_size = 320;
  static constexpr std::int64_t num_layers = 3;
  static constexpr std::int64_t num_heads = 4;
  static constexpr std::int64_t num_kv_heads = 4;
  static constexpr std::int64_t head_dim = 32;
};

using all = config_list<glm4_tiny, glm_tiny, glm4_tiny_yarn, glm4_small, glm130b_tiny>;

}  // namespace glm4::shipped_models
