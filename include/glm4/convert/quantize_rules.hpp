// Which type each tensor of a converted checkpoint is stored in: the type
// names the command takes, llama.cpp's file-type numbers, and llama.cpp's
// per-layer rule for its _M mixes (Q4_K_M, Q5_K_M), so that a file written
// here is the one llama-quantize would write.
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "glm4/core/error.hpp"
#include "glm4/quant/formats.hpp"

namespace glm4::convert {

// "q8_0", "Q4_K", "bf16" ... -> the type; nullopt for an unknown name.
inline std::optional<quant::ggml_type> parse_type_name(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::optional<quant::ggml_type> out;
  [&]<quant::block_format... Fs>(quant::format_list<Fs...>) {
    ((lower == Fs::name ? (out = Fs::type, true) : false) || ...);
  }
  (quant::known_formats{});
  return out;
}

// llama.cpp's llama_ftype for a file whose bulk is `type` (uniform K-quants
// are the _S variants).
inline std::uint32_t llama_file_type(quant::ggml_type type) {
  using t = quant::ggml_type;
  switch (type) {
    case t::f32:
      return 0;
    case t::f16:
      return 1;
    case t::q4_0:
      return 2;
    case t::q4_1:
      return 3;
    case t::q8_0:
      return 7;
    case t::q5_0:
      return 8;
    case t::q5_1:
      return 9;
    case t::q4_k:
      return 14;  // Q4_K_S
    case t::q5_k:
      return 16;  // Q5_K_S
    case t::q6_k:
      return 18;
    case t::iq4_nl:
      return 25;
    case t::iq4_xs:
      return 30;
    case t::bf16:
      return 32;
    default:
      throw invalid_argument("no GGUF file type for " + quant::type_name(type));
  }
}

// llama.cpp's use_more_bits(i_layer, n_layer): the layers whose attn_v and
// ffn_down its _M mixes store with more bits (q6_k).
inline bool use_more_bits(std::int64_t i, std::int64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

struct quantize_rules {
  quant::ggml_type type = quant::ggml_type::q8_0;  // 2-D weights
  std::optional<quant::ggml_type> output_type;     // lm_head (default: type)
  std::optional<quant::ggml_type> embedding_type;  // token_embd (default: type)
  // llama.cpp's _M mix for type q4_k / q5_k (Q4_K_M, Q5_K_M): attn_v and
  // ffn_down in q6_k on the layers llama.cpp's use_more_bits picks, and
  // lm_head in q6_k unless output_type says otherwise.
  bool k_mix = false;
};

// A file type as llama-quantize names it, in any case: a format (q8_0,
// q4_k ...), a k-quant's _S (the uniform k-quant) or _M (the k-quant with
// llama.cpp's mix); nullopt for anything else.
inline std::optional<quantize_rules> parse_file_type_name(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool k_mix = lower == "q4_k_m" || lower == "q5_k_m";
  if (k_mix || lower == "q4_k_s" || lower == "q5_k_s") lower.resize(4);
  const auto type = parse_type_name(lower);
  if (!type) return std::nullopt;
  return quantize_rules{.type = *type, .k_mix = k_mix};
}

// Throws for a type glm4.hpp cannot write, or a _M mix of another type.
inline void validate(const quantize_rules& r) {
  for (const auto t : {std::optional(r.type), r.output_type, r.embedding_type})
    if (t) quant::traits_of(*t);  // throws for an unknown type
  if (r.k_mix && r.type != quant::ggml_type::q4_k && r.type != quant::ggml_type::q5_k)
    throw invalid_argument("the _M mix needs type q4_k or q5_k, not " + quant::type_name(r.type));
}

// general.file_type of a file written under the rules.
inline std::uint32_t file_type(const quantize_rules& r) {
  if (r.k_mix) return r.type == quant::ggml_type::q4_k ? 15u : 17u;  // Q4_K_M, Q5_K_M
  return llama_file_type(r.type);
}

// The type of the 2-D weight `canonical` (transformers' name) of a model of
// `num_layers` layers whose token embedding is named `embedding`. A tied
// embedding (GLM-130B's, also its output) stays f16 unless the rules name a
// type for it.
inline quant::ggml_type weight_type(const quantize_rules& r, std::string_view canonical, std::string_view embedding,
                                    bool tied_embedding, std::int64_t num_layers) {
  const auto more_bits = [&] {
    if (!r.k_mix || !canonical.starts_with("model.layers.") ||
        !(canonical.ends_with(".self_attn.v_proj.weight") || canonical.ends_with(".mlp.down_proj.weight")))
      return false;
    return use_more_bits(std::stoll(std::string(canonical.substr(13))), num_layers);
  };
  return canonical.starts_with("lm_head.")  ? r.output_type.value_or(r.k_mix ? quant::ggml_type::q6_k : r.type)
         : more_bits()                      ? quant::ggml_type::q6_k
         : canonical.starts_with(embedding) ? r.embedding_type.value_or(tied_embedding ? quant::ggml_type::f16 : r.type)
                                            : r.type;
}

// The type a weight whose rows are `cols` values wide is stored in when the
// rules pick `t`: t if its rows are whole blocks of t, else llama.cpp's
// tensor_type_fallback (GLM-4-9B's ffn_down, 13696 wide: q4_k -> q5_0,
// q5_k -> q5_1, q6_k -> q8_0, iq4_xs -> iq4_nl), f16 where that does not fit
// either. The file types of model/file_types.hpp hold these fallbacks in place.
inline quant::ggml_type stored_type(quant::ggml_type t, std::int64_t cols) {
  using g = quant::ggml_type;
  const auto fits = [&](g u) { return cols % static_cast<std::int64_t>(quant::traits_of(u).block_elems) == 0; };
  if (fits(t)) return t;
  const g fallback = t == g::q4_k     ? g::q5_0
                     : t == g::q5_k   ? g::q5_1
                     : t == g::q6_k   ? g::q8_0
                     : t == g::iq4_xs ? g::iq4_nl
                                      : g::f16;
  return fits(fallback) ? fallback : g::f16;
}

}  // namespace glm4::convert
