// GGUF tensor names and the canonical names the loader uses, one table per
// architecture, read in both directions (canonical_name as gguf_source.hpp
// reads files, gguf_tensor_name as convert/gguf_export.hpp writes them):
//
//   GLM-4 (arch glm4 / chatglm; llama.cpp's gguf-py tensor_mapping.py)
//     token_embd            model.embed_tokens
//     output_norm           model.norm
//     output                lm_head (absent: tied to token_embd)
//     blk.N.attn_norm       model.layers.N.input_layernorm
//     blk.N.attn_q / k / v  model.layers.N.self_attn.q_proj / k_proj / v_proj
//     blk.N.attn_qkv        model.layers.N.self_attn.qkv_proj (fused rows q | k | v
//                           of glm-4-9b-chat's original layout; the loader splits it)
//     blk.N.attn_output     model.layers.N.self_attn.o_proj
//     blk.N.post_attention_norm  model.layers.N.post_self_attn_layernorm
//     blk.N.ffn_norm        model.layers.N.post_attention_layernorm
//     blk.N.ffn_up          model.layers.N.mlp.gate_up_proj (gate | up)
//     blk.N.ffn_down        model.layers.N.mlp.down_proj
//     blk.N.post_ffw_norm   model.layers.N.post_mlp_layernorm
//
//   GLM-130B (arch glm130b, glm4.hpp's own: llama.cpp has none), under
//   SwissArmyTransformer's names:
//     token_embd            transformer.word_embeddings (also the output)
//     output_norm           transformer.final_layernorm
//     blk.N.attn_norm       transformer.layers.N.input_layernorm
//     blk.N.attn_qkv        transformer.layers.N.attention.query_key_value (per head q | k | v)
//     blk.N.attn_output     transformer.layers.N.attention.dense
//     blk.N.ffn_norm        transformer.layers.N.post_attention_layernorm
//     blk.N.ffn_up          transformer.layers.N.mlp.dense_h_to_4h (x1 | x2 of GeGLU)
//     blk.N.ffn_down        transformer.layers.N.mlp.dense_4h_to_h
//
// with `.weight` / `.bias` kept.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "glm4/core/error.hpp"

namespace glm4::io {

struct gguf_name_table {
  using pairs = std::span<const std::pair<std::string_view, std::string_view>>;  // {gguf, canonical} prefixes
  pairs globals;
  std::string_view canonical_layers;  // "model.layers." — GGUF's is "blk."
  pairs layer;
};

namespace detail {
inline constexpr std::pair<std::string_view, std::string_view> glm4_globals[] = {
    {"token_embd.", "model.embed_tokens."}, {"output_norm.", "model.norm."}, {"output.", "lm_head."}};
inline constexpr std::pair<std::string_view, std::string_view> glm4_layer[] = {
    {"attn_norm.", "input_layernorm."},
    {"attn_q.", "self_attn.q_proj."},
    {"attn_k.", "self_attn.k_proj."},
    {"attn_v.", "self_attn.v_proj."},
    {"attn_qkv.", "self_attn.qkv_proj."},
    {"attn_output.", "self_attn.o_proj."},
    {"post_attention_norm.", "post_self_attn_layernorm."},
    {"ffn_norm.", "post_attention_layernorm."},
    {"ffn_up.", "mlp.gate_up_proj."},
    {"ffn_down.", "mlp.down_proj."},
    {"post_ffw_norm.", "post_mlp_layernorm."},
};
inline constexpr std::pair<std::string_view, std::string_view> glm130b_globals[] = {
    {"token_embd.", "transformer.word_embeddings."}, {"output_norm.", "transformer.final_layernorm."}};
inline constexpr std::pair<std::string_view, std::string_view> glm130b_layer[] = {
    {"attn_norm.", "input_layernorm."},
    {"attn_qkv.", "attention.query_key_value."},
    {"attn_output.", "attention.dense."},
    {"ffn_norm.", "post_attention_layernorm."},
    {"ffn_up.", "mlp.dense_h_to_4h."},
    {"ffn_down.", "mlp.dense_4h_to_h."},
};

// "<layers><N>.<tail>" -> {N, tail}, N all digits.
inline std::optional<std::pair<std::string_view, std::string_view>> split_layer(std::string_view name,
                                                                                  std::string_view layers) {
  if (!name.starts_with(layers)) return std::nullopt;
  const std::string_view rest = name.substr(layers.size());
  const auto dot = rest.find('.');
  const std::string_view index = rest.substr(0, dot);
  if (dot == std::string_view::npos || index.empty() || index.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::pair{index, rest.substr(dot + 1)};
}

// `name` with its prefix replaced through the table, read from side `from`
// (0: GGUF, 1: canonical); nullopt when no entry matches.
inline std::optional<std::string> translate(const gguf_name_table& t, std::string_view name, int from) {
  const auto side = [](const auto& p, int s) { return s == 0 ? p.first : p.second; };
  for (const auto& p : t.globals)
    if (name.starts_with(side(p, from))) return std::string(side(p, 1 - from)) + std::string(name.substr(side(p, from).size()));
  const std::string_view layers[] = {"blk.", t.canonical_layers};
  if (const auto split = split_layer(name, layers[from]))
    for (const auto& p : t.layer)
      if (split->second.starts_with(side(p, from)))
        return std::string(layers[1 - from]) + std::string(split->first) + "." + std::string(side(p, 1 - from)) +
               std::string(split->second.substr(side(p, from).size()));
  return std::nullopt;
}
}  // namespace detail

inline constexpr gguf_name_table glm4_gguf_names{detail::glm4_globals, "model.layers.", detail::glm4_layer};
inline constexpr gguf_name_table glm130b_gguf_names{detail::glm130b_globals, "transformer.layers.",
                                                    detail::glm130b_layer};

// The table of a GGUF architecture ("glm130b"; anything else GLM-4's).
inline const gguf_name_table& gguf_names_of(std::string_view arch) {
  return arch == "glm130b" ? glm130b_gguf_names : glm4_gguf_names;
}

// The canonical name of a GGUF tensor name in a file of `arch`; unknown
// names unchanged.
inline std::string canonical_name(std::string_view gguf_name, std::string_view arch = "glm4") {
  return detail::translate(gguf_names_of(arch), gguf_name, 0).value_or(std::string(gguf_name));
}

// The GGUF name of a canonical tensor name in a file of `arch` (the inverse
// of canonical_name). Throws for a name the architecture has no tensor for.
inline std::string gguf_tensor_name(std::string_view canonical, std::string_view arch = "glm4") {
  if (auto name = detail::translate(gguf_names_of(arch), canonical, 1)) return *name;
  throw format_error("tensor '" + std::string(canonical) + "' has no " + std::string(arch) + " GGUF name");
}

}  // namespace glm4::io
