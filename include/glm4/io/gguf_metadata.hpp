// The general.* and `{arch}.*` GGUF keys of a model shape, as llama.cpp
// reads them and io::shape_from_gguf (gguf_source.hpp) reads them back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "glm4/config/model_shape.hpp"
#include "glm4/io/gguf_writer.hpp"

namespace glm4::io {

// The general.* and `{arch}.*` keys llama.cpp reads for a GLM-4 model of
// shape `s` (arch "glm4" or "chatglm").
inline void write_model_metadata(gguf_writer& w, const std::string& arch, const std::string& name,
                                 const model_shape& s) {
  const auto key = [&](std::string_view k) { return arch + "." + std::string(k); };
  w.set("general.architecture", arch);
  w.set("general.type", std::string("model"));
  w.set("general.name", name);
  w.set(key("context_length"), static_cast<std::uint32_t>(s.max_context));
  w.set(key("embedding_length"), static_cast<std::uint32_t>(s.hidden_size));
  w.set(key("feed_forward_length"), static_cast<std::uint32_t>(s.intermediate_size));
  w.set(key("block_count"), static_cast<std::uint32_t>(s.num_layers));
  w.set(key("attention.head_count"), static_cast<std::uint32_t>(s.num_heads));
  w.set(key("attention.head_count_kv"), static_cast<std::uint32_t>(s.num_kv_heads));
  w.set(key("attention.key_length"), static_cast<std::uint32_t>(s.head_dim));
  w.set(key("attention.value_length"), static_cast<std::uint32_t>(s.head_dim));
  if (s.style == block_style::glm130b) {  // LayerNorm; no token list to count the vocabulary by
    w.set(key("attention.layer_norm_epsilon"), static_cast<float>(s.rms_norm_eps));
    w.set(key("vocab_size"), static_cast<std::uint32_t>(s.vocab_size));
  } else {
    w.set(key("attention.layer_norm_rms_epsilon"), static_cast<float>(s.rms_norm_eps));
  }
  w.set(key("rope.dimension_count"), static_cast<std::uint32_t>(s.rotary_dim()));
  w.set(key("rope.freq_base"), static_cast<float>(s.rope_theta));
  if (s.rope_scaling.enabled()) {
    w.set(key("rope.scaling.type"), std::string("yarn"));
    w.set(key("rope.scaling.factor"), static_cast<float>(s.rope_scaling.factor));
    w.set(key("rope.scaling.original_context_length"),
          static_cast<std::uint32_t>(s.rope_scaling.original_max_positions));
    w.set(key("rope.scaling.yarn_beta_fast"), static_cast<float>(s.rope_scaling.beta_fast));
    w.set(key("rope.scaling.yarn_beta_slow"), static_cast<float>(s.rope_scaling.beta_slow));
    if (s.rope_scaling.attention_factor != 0)
      w.set(key("rope.scaling.yarn_attn_factor"), static_cast<float>(s.rope_scaling.attention_factor));
  }
}

}  // namespace glm4::io
