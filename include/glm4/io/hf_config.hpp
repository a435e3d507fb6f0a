// Reads a checkpoint's config.json into a model_shape, in either dialect:
//   - Hugging Face `glm` / `glm4` (GlmForCausalLM, Glm4ForCausalLM);
//   - the original THUDM `chatglm` layout glm-4-9b-chat ships
//     (padded_vocab_size, ffn_hidden_size, kv_channels, multi_query_group_num,
//     rope_ratio, layernorm_epsilon, seq_length);
//   - GLM-130B's (`glm-130b`: SwissArmyTransformer's argument names,
//     num_layers, inner_hidden_size, max_sequence_length; the published model
//     is configured on the command line, so this is the dialect of the
//     fixtures and of folders a user describes).
// and compares it with the compiled shape, naming every field that differs.
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/config/model_shape.hpp"
#include "glm4/core/error.hpp"

namespace glm4::io {

namespace detail {

class json_fields {
 public:
  json_fields(const nlohmann::json& j, std::string file) : j_(j), file_(std::move(file)) {}

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  template <class T>
  T get(const char* key) const {
    if (!has(key)) throw format_error(file_ + ": missing field \"" + key + "\"");
    return as<T>(j_[key], key);
  }
  template <class T>
  T get_or(const char* key, T fallback) const {
    return has(key) ? as<T>(j_[key], key) : fallback;
  }
  const nlohmann::json& raw(const char* key) const { return j_[key]; }
  const std::string& file() const { return file_; }

 private:
  template <class T>
  T as(const nlohmann::json& v, const char* key) const {
    const bool ok = std::is_same_v<T, bool> ? v.is_boolean()
                    : std::is_same_v<T, std::string> ? v.is_string()
                    : std::is_integral_v<T> ? v.is_number_integer()
                                            : v.is_number();
    if (!ok) throw format_error(file_ + ": field \"" + key + "\" has the wrong type (" + v.dump() + ")");
    return v.get<T>();
  }

  const nlohmann::json& j_;
  std::string file_;
};

inline yarn_scaling read_rope_scaling(const nlohmann::json& rs, const std::string& file) {
  if (!rs.is_object()) throw format_error(file + ": rope_scaling is not an object");
  json_fields f(rs, file + " rope_scaling");
  const std::string type = f.has("rope_type") ? f.get<std::string>("rope_type") : f.get_or<std::string>("type", "default");
  if (type == "default") return {};
  if (type != "yarn")
    throw format_error(file + ": rope_scaling type \"" + type + "\" is not supported (GLM-4 uses \"yarn\")");
  yarn_scaling y;
  y.factor = f.get<double>("factor");
  y.original_max_positions = f.get<std::int64_t>("original_max_position_embeddings");
  y.beta_fast = f.get_or<double>("beta_fast", 32.0);
  y.beta_slow = f.get_or<double>("beta_slow", 1.0);
  y.attention_factor = f.get_or<double>("attention_factor", 0.0);
  return y;
}

inline model_shape read_chatglm(const json_fields& f) {
  model_shape s;
  s.style = block_style::glm;
  s.vocab_size = f.get<std::int64_t>("padded_vocab_size");
  s.hidden_size = f.get<std::int64_t>("hidden_size");
  s.intermediate_size = f.get<std::int64_t>("ffn_hidden_size");
  s.num_layers = f.get<std::int64_t>("num_layers");
  s.num_heads = f.get<std::int64_t>("num_attention_heads");
  s.num_kv_heads = f.get_or<bool>("multi_query_attention", false) ? f.get<std::int64_t>("multi_query_group_num")
                                                                    : s.num_heads;
  s.head_dim = f.get<std::int64_t>("kv_channels");
  // ChatGLM2+ rotate half of each head ("original_rope"), theta 10000 * rope_ratio.
  s.partial_rotary_factor = 0.5;
  s.rope_theta = 10000.0 * f.get_or<double>("rope_ratio", 1.0);
  s.rms_norm_eps = f.get<double>("layernorm_epsilon");
  s.max_context = f.get<std::int64_t>("seq_length");
  s.tie_word_embeddings = f.get_or<bool>("tie_word_embeddings", false);
  if (!f.get_or<bool>("rmsnorm", true) || f.get_or<bool>("apply_residual_connection_post_layernorm", false) ||
      f.get_or<bool>("add_bias_linear", false) || !f.get_or<bool>("add_qkv_bias", true))
    throw format_error(f.file() +
                       ": a ChatGLM config that is not GLM-4's (needs rmsnorm, pre-norm residuals, qkv bias only)");
  return s;
}

inline model_shape read_hf(const json_fields& f, block_style style) {
  model_shape s;
  s.style = style;
  s.vocab_size = f.get<std::int64_t>("vocab_size");
  s.hidden_size = f.get<std::int64_t>("hidden_size");
  s.intermediate_size = f.get<std::int64_t>("intermediate_size");
  s.num_layers = f.get<std::int64_t>("num_hidden_layers");
  s.num_heads = f.get<std::int64_t>("num_attention_heads");
  s.num_kv_heads = f.get_or<std::int64_t>("num_key_value_heads", s.num_heads);
  s.head_dim = f.get_or<std::int64_t>("head_dim", s.num_heads > 0 ? s.hidden_size / s.num_heads : 0);
  s.rms_norm_eps = f.get_or<double>("rms_norm_eps", 1.5625e-07);
  s.max_context = f.get_or<std::int64_t>("max_position_embeddings", 131072);
  s.tie_word_embeddings = f.get_or<bool>("tie_word_embeddings", false);
  // transformers' Glm/Glm4 configs default partial_rotary_factor to 0.5 for
  // checkpoints that omit it (glm-4-9b-chat-hf does).
  s.partial_rotary_factor = f.get_or<double>("partial_rotary_factor", 0.5);
  s.rope_theta = f.get_or<double>("rope_theta", 10000.0);
  if (f.has("rope_parameters")) {  // transformers >= 5 writes these instead
    const auto& rp = f.raw("rope_parameters");
    json_fields p(rp, f.file() + " rope_parameters");
    s.rope_theta = p.get_or<double>("rope_theta", s.rope_theta);
    s.partial_rotary_factor = p.get_or<double>("partial_rotary_factor", s.partial_rotary_factor);
    s.rope_scaling = read_rope_scaling(rp, f.file());
  }
  if (f.has("rope_scaling")) s.rope_scaling = read_rope_scaling(f.raw("rope_scaling"), f.file());
  // The GLM-4 README extends context by adding rope_scaling and leaving
  // max_position_embeddings at the native length: the usable context is then
  // the scaled one.
  if (s.rope_scaling.enabled() && s.max_context == s.rope_scaling.original_max_positions)
    s.max_context = static_cast<std::int64_t>(std::llround(static_cast<double>(s.max_context) * s.rope_scaling.factor));
  if (!f.get_or<bool>("attention_bias", true))
    throw format_error(f.file() + ": attention_bias is false; GLM-4 checkpoints have q/k/v biases");
  return s;
}

inline model_shape read_glm130b(const json_fields& f) {
  model_shape s;
  s.style = block_style::glm130b;
  s.vocab_size = f.get<std::int64_t>("vocab_size");
  s.hidden_size = f.get<std::int64_t>("hidden_size");
  s.intermediate_size = f.get<std::int64_t>("inner_hidden_size");
  s.num_layers = f.get<std::int64_t>("num_layers");
  s.num_heads = f.get<std::int64_t>("num_attention_heads");
  s.num_kv_heads = s.num_heads;
  s.head_dim = s.num_heads > 0 ? s.hidden_size / s.num_heads : 0;
  s.partial_rotary_factor = 1.0;
  s.rope_theta = 10000.0;
  s.rms_norm_eps = f.get_or<double>("layernorm_epsilon", 1e-5);
  s.max_context = f.get_or<std::int64_t>("max_sequence_length", 2048);
  s.tie_word_embeddings = true;
  if (f.get_or<std::string>("layernorm_order", "post") != "post" || f.get_or<bool>("position_encoding_2d", false) ||
      !f.get_or<bool>("tied_output", true))
    throw format_error(f.file() + ": a glm-130b config that is not GLM-130B's network (needs layernorm_order "
                                  "\"post\", 1-D rotary, tied output)");
  return s;
}

}  // namespace detail

inline model_shape parse_model_config(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw format_error(file + ": not a JSON object");
  detail::json_fields f(j, file);
  const std::string type = f.get_or<std::string>("model_type", "");
  if (type == "chatglm") return detail::read_chatglm(f);
  if (type == "glm") return detail::read_hf(f, block_style::glm);
  if (type == "glm4") return detail::read_hf(f, block_style::glm4);
  if (type == "glm-130b") return detail::read_glm130b(f);
  throw format_error(file + ": model_type \"" + type +
                     "\" is not a GLM model (expected glm, glm4, chatglm or glm-130b)");
}

inline model_shape read_model_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json);
  if (!in) throw io_error("cannot open " + config_json.string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw format_error(config_json.string() + ": not valid JSON");
  return parse_model_config(j, config_json.string());
}

// Every field where `found` (the checkpoint) differs from `compiled`, as
// "field: compiled X, checkpoint Y" lines.
inline std::vector<std::string> shape_differences(const model_shape& compiled, const model_shape& found) {
  std::vector<std::string> out;
  auto num = [](auto v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  auto check = [&](const char* field, auto a, auto b) {
    if (a != b) out.push_back(std::string(field) + ": compiled " + num(a) + ", checkpoint " + num(b));
  };
  auto check_close = [&](const char* field, double a, double b) {
    if (std::abs(a - b) > 1e-6 * std::max(std::abs(a), std::abs(b)))
      out.push_back(std::string(field) + ": compiled " + num(a) + ", checkpoint " + num(b));
  };
  if (compiled.style != found.style)
    out.push_back("architecture: compiled " + std::string(to_string(compiled.style)) + ", checkpoint " +
                  std::string(to_string(found.style)));
  check("vocab_size", compiled.vocab_size, found.vocab_size);
  check("hidden_size", compiled.hidden_size, found.hidden_size);
  check("intermediate_size", compiled.intermediate_size, found.intermediate_size);
  check("num_hidden_layers", compiled.num_layers, found.num_layers);
  check("num_attention_heads", compiled.num_heads, found.num_heads);
  check("num_key_value_heads", compiled.num_kv_heads, found.num_kv_heads);
  check("head_dim", compiled.head_dim, found.head_dim);
  check_close("partial_rotary_factor", compiled.partial_rotary_factor, found.partial_rotary_factor);
  check_close("rope_theta", compiled.rope_theta, found.rope_theta);
  check_close("rms_norm_eps", compiled.rms_norm_eps, found.rms_norm_eps);
  check_close("rope_scaling.factor", compiled.rope_scaling.factor, found.rope_scaling.factor);
  if (compiled.rope_scaling.enabled() || found.rope_scaling.enabled()) {
    check("rope_scaling.original_max_position_embeddings", compiled.rope_scaling.original_max_positions,
          found.rope_scaling.original_max_positions);
    check_close("rope_scaling.beta_fast", compiled.rope_scaling.beta_fast, found.rope_scaling.beta_fast);
    check_close("rope_scaling.beta_slow", compiled.rope_scaling.beta_slow, found.rope_scaling.beta_slow);
    check_close("rope_scaling.attention_factor", compiled.rope_scaling.attention_factor,
                found.rope_scaling.attention_factor);
  }
  check("max_position_embeddings", compiled.max_context, found.max_context);
  check("tie_word_embeddings", compiled.tie_word_embeddings, found.tie_word_embeddings);
  return out;
}

// Throws config_mismatch listing every differing field.
inline void require_shape(const model_shape& compiled, const model_shape& found, std::string_view config_name,
                          const std::string& source) {
  const auto diffs = shape_differences(compiled, found);
  if (diffs.empty()) return;
  std::string msg = source + " does not match the compiled configuration " + std::string(config_name) + ":";
  for (const auto& d : diffs) msg += "\n  " + d;
  throw config_mismatch(msg);
}

}  // namespace glm4::io
