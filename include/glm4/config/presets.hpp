// The released GLM-4 models. Shapes from the public checkpoints' config.json
// (and GGUF metadata dumps, see docs/models.md); derive from a preset to
// declare a fine-tune.
#pragma once

#include <cstdint>
#include <string_view>

#include "glm4/config/model_config.hpp"

namespace glm4::presets {

// GLM-4-9B-0414 (Glm4ForCausalLM): sandwich norms, natively 32K.
struct glm4_9b_0414 {
  static constexpr std::string_view name = "GLM-4-9B-0414";
  static constexpr block_style style = block_style::glm4;
  static constexpr std::int64_t vocab_size = 151552;
  static constexpr std::int64_t hidden_size = 4096;
  static constexpr std::int64_t intermediate_size = 13696;
  static constexpr std::int64_t num_layers = 40;
  static constexpr std::int64_t num_heads = 32;
  static constexpr std::int64_t num_kv_heads = 2;
  static constexpr std::int64_t head_dim = 128;
  static constexpr double partial_rotary_factor = 0.5;
  static constexpr double rope_theta = 10000.0;
  static constexpr double rms_norm_eps = 1e-05;
  static constexpr yarn_scaling rope_scaling{};
  static constexpr std::int64_t max_context = 32768;
  static constexpr bool tie_word_embeddings = false;
};

// GLM-4-9B-chat as HF ships it converted (`THUDM/glm-4-9b-chat-hf`,
// GlmForCausalLM): the 9B shape with pre-norm blocks, rope_theta = 10000 *
// rope_ratio 500, the ChatGLM eps 1.5625e-7 and 128K positions.
struct glm4_9b_chat : glm4_9b_0414 {
  static constexpr std::string_view name = "GLM-4-9B-chat";
  static constexpr block_style style = block_style::glm;
  static constexpr double rope_theta = 5000000.0;
  static constexpr double rms_norm_eps = 1.5625e-07;
  static constexpr std::int64_t max_context = 131072;
};

// GLM-Z1-9B-0414: the 9B-0414 network trained to reason (`<think>`).
struct glm_z1_9b_0414 : glm4_9b_0414 {
  static constexpr std::string_view name = "GLM-Z1-9B-0414";
};

// GLM-4-32B-0414: 61 layers of 6144, 48 query heads over 2 KV heads.
struct glm4_32b_0414 : glm4_9b_0414 {
  static constexpr std::string_view name = "GLM-4-32B-0414";
  static constexpr std::int64_t hidden_size = 6144;
  static constexpr std::int64_t intermediate_size = 23040;
  static constexpr std::int64_t num_layers = 61;
  static constexpr std::int64_t num_heads = 48;
};

struct glm_z1_32b_0414 : glm4_32b_0414 {
  static constexpr std::string_view name = "GLM-Z1-32B-0414";
};

// GLM-Z1-Rumination-32B-0414: the 32B shape with 8 KV heads and 128K
// positions (ik_llama.cpp PR #333 metadata: head_count_kv 8, context 131072).
struct glm_z1_rumination_32b_0414 : glm4_32b_0414 {
  static constexpr std::string_view name = "GLM-Z1-Rumination-32B-0414";
  static constexpr std::int64_t num_kv_heads = 8;
  static constexpr std::int64_t max_context = 131072;
};

// GLM-130B (configs/model_glm_130b.sh of THUDM/GLM-130B): 70 post-LN
// DeepNorm layers of 12288, GeGLU over 32768, 96 heads of 128 rotating whole,
// icetk's 150528 tokens, 2048 positions, LayerNorm eps 1e-5, tied output.
struct glm_130b {
  static constexpr std::string_view name = "GLM-130B";
  static constexpr block_style style = block_style::glm130b;
  static constexpr std::int64_t vocab_size = 150528;
  static constexpr std::int64_t hidden_size = 12288;
  static constexpr std::int64_t intermediate_size = 32768;
  static constexpr std::int64_t num_layers = 70;
  static constexpr std::int64_t num_heads = 96;
  static constexpr std::int64_t num_kv_heads = 96;
  static constexpr std::int64_t head_dim = 128;
  static constexpr double partial_rotary_factor = 1.0;
  static constexpr double rope_theta = 10000.0;
  static constexpr double rms_norm_eps = 1e-05;
  static constexpr yarn_scaling rope_scaling{};
  static constexpr std::int64_t max_context = 2048;
  static constexpr bool tie_word_embeddings = true;
};

// Any 0414 model stretched past its native context with YaRN, as the GLM-4
// README recommends (`"rope_scaling": {"type": "yarn", "factor": 4.0,
// "original_max_position_embeddings": 32768}` in config.json).
template <class Base, int Factor = 4>
struct with_yarn : Base {
  static constexpr yarn_scaling rope_scaling{.factor = Factor, .original_max_positions = Base::max_context};
  static constexpr std::int64_t max_context = Base::max_context * Factor;
};

// The released models, for glm4::open_model (a 9B-0414 and a Z1-9B file
// have one shape: the first wins, and only the name differs).
using all = config_list<glm4_9b_chat, glm4_9b_0414, glm_z1_9b_0414, glm4_32b_0414, glm_z1_32b_0414,
                        glm_z1_rumination_32b_0414, glm_130b>;

}  // namespace glm4::presets
