// The models the gguf target loads and tests/fuzz/make_gguf_seeds.cpp writes
// its seeds for: glm4-tiny's two architectures at the smallest shape the
// kernels take (rows of 32 values, one q8_0 block), so a whole model file is
// a few KB and loading it plus a 2-token prefill takes milliseconds. The
// vocabulary is the smallest byte-level BPE one: 256 bytes, some merges and
// special tokens.
#pragma once

#include <cstdint>
#include <string_view>

#include "glm4/config/model_config.hpp"
#include "glm4/config/shipped_models.hpp"

namespace glm4::fuzz {

// Glm4ForCausalLM blocks (GGUF arch glm4).
struct micro_glm4 : shipped_models::glm4_tiny {
  static constexpr std::string_view name = "fuzz-micro-glm4";
  static constexpr std::int64_t vocab_size = 288;
  static constexpr std::int64_t hidden_size = 32;
  static constexpr std::int64_t intermediate_size = 32;
  static constexpr std::int64_t num_layers = 1;
  static constexpr std::int64_t num_heads = 2;
  static constexpr std::int64_t num_kv_heads = 1;
  static constexpr std::int64_t head_dim = 16;
  static constexpr std::int64_t max_context = 64;
};

// GlmForCausalLM blocks (GGUF arch chatglm: a fused attn_qkv).
struct micro_glm : micro_glm4 {
  static constexpr std::string_view name = "fuzz-micro-glm";
  static constexpr block_style style = block_style::glm;
};

using micro_models = config_list<micro_glm4, micro_glm>;

}  // namespace glm4::fuzz
