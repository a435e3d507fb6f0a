// A GLM model in a GGUF file (llama.cpp arch `glm4` or `chatglm`, or
// glm4.hpp's `glm130b`): its tensors under the canonical names
// (io/gguf_names.hpp), its shape from the metadata, and its embedded
// vocabulary as plain data. Names outside the table pass through unchanged,
// so the loader reports them as unexpected tensors.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/gguf.hpp"
#include "glm4/io/gguf_names.hpp"
#include "glm4/io/tensor_source.hpp"

namespace glm4::io {

namespace detail {
inline void require_glm_architecture(const gguf_file& f) {
  const std::string& arch = f.architecture();
  if (arch != "glm4" && arch != "chatglm" && arch != "glm130b")
    throw config_mismatch(f.path().string() + ": general.architecture is '" + arch +
                          "', expected 'glm4', 'chatglm' or 'glm130b'");
}

// GGUF stores eps and rope bases as f32; widening 1e-5f to double directly
// would give 9.99999974738e-06, not the 1e-5 of the checkpoint's config. The
// converter wrote the f32 nearest a short decimal, so the shortest decimal
// that round-trips the f32 recovers it.
inline double widen(float f) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, f).ptr;
  double d = 0;
  std::from_chars(buf, end, d);
  return d;
}
}  // namespace detail

// The model's numbers from `{arch}.*` metadata (arch `glm4` -> block style
// glm4, `chatglm` -> glm). head_dim is `attention.key_length`, or hidden /
// heads when absent (chatglm files never write it; llama.cpp defaults the
// same way); partial_rotary_factor = rope.dimension_count / head_dim;
// vocab_size is the length of tokenizer.ggml.tokens; tied embeddings when
// there is no output.weight.
//
// The file's values win, as they do in llama.cpp, which is what computed the
// reference logits for such a file. For `chatglm` files that is not always
// the checkpoint's truth: llama.cpp's converter (conversion/chatglm.py)
// reads ChatGLM config keys even when handed an HF GlmForCausalLM folder,
// and then writes context_length = `seq_length` or, missing, the hidden size
// (glm-tiny: 128 where the config says 8192), rms eps = `layernorm_epsilon`
// or 1e-5 (glm-4-9b-chat-hf's 1.5625e-7 is lost), and rope.freq_base =
// 10000 * `rope_ratio` or 10000 (rope_theta is ignored). See
// context_length_reliable().
inline model_shape shape_from_gguf(const gguf_file& f) {
  detail::require_glm_architecture(f);
  const std::string& arch = f.architecture();
  const auto key = [&](std::string_view k) { return arch + "." + std::string(k); };
  const auto u32 = [&](std::string_view k) { return static_cast<std::int64_t>(f.get<std::uint32_t>(key(k))); };

  model_shape s;
  const bool glm130b = arch == "glm130b";
  s.style = glm130b ? block_style::glm130b : arch == "glm4" ? block_style::glm4 : block_style::glm;
  s.num_layers = u32("block_count");
  s.hidden_size = u32("embedding_length");
  s.intermediate_size = u32("feed_forward_length");
  s.num_heads = u32("attention.head_count");
  s.num_kv_heads = u32("attention.head_count_kv");
  s.max_context = u32("context_length");
  if (s.num_heads == 0 || s.num_kv_heads == 0 || s.num_heads % s.num_kv_heads != 0)
    throw config_mismatch(f.path().string() + ": " + key("attention.head_count") + " " +
                          std::to_string(s.num_heads) + " is not a positive multiple of " +
                          key("attention.head_count_kv") + " " + std::to_string(s.num_kv_heads));
  if (const auto k = f.get_optional<std::uint32_t>(key("attention.key_length"))) {
    s.head_dim = *k;
  } else {
    if (s.hidden_size % s.num_heads != 0)
      throw config_mismatch(f.path().string() + ": no " + key("attention.key_length") + " and " +
                            key("embedding_length") + " " + std::to_string(s.hidden_size) +
                            " is not a multiple of " + std::to_string(s.num_heads) + " heads");
    s.head_dim = s.hidden_size / s.num_heads;
  }
  if (const auto v = f.get_optional<std::uint32_t>(key("attention.value_length")); v && *v != s.head_dim)
    throw config_mismatch(f.path().string() + ": " + key("attention.value_length") + " " + std::to_string(*v) +
                          " differs from the key length " + std::to_string(s.head_dim) +
                          "; GLM-4 uses one head size for both");
  s.partial_rotary_factor = static_cast<double>(u32("rope.dimension_count")) / static_cast<double>(s.head_dim);
  s.rope_theta = detail::widen(f.get<float>(key("rope.freq_base")));
  // GLM-130B: LayerNorm, its icetk vocabulary is no token list, the output tied
  s.rms_norm_eps =
      detail::widen(f.get<float>(key(glm130b ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon")));
  s.vocab_size = glm130b ? u32("vocab_size")
                         : static_cast<std::int64_t>(f.get_array<std::string>("tokenizer.ggml.tokens").size());
  s.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;

  if (const auto type = f.get_optional<std::string>(key("rope.scaling.type")); type && *type != "none") {
    if (*type != "yarn")
      throw config_mismatch(f.path().string() + ": " + key("rope.scaling.type") + " is '" + *type +
                            "'; glm4.hpp supports 'yarn' and 'none'");
    s.rope_scaling.factor = detail::widen(f.get<float>(key("rope.scaling.factor")));
    s.rope_scaling.original_max_positions = u32("rope.scaling.original_context_length");
    if (const auto b = f.get_optional<float>(key("rope.scaling.yarn_beta_fast")))
      s.rope_scaling.beta_fast = detail::widen(*b);
    if (const auto b = f.get_optional<float>(key("rope.scaling.yarn_beta_slow")))
      s.rope_scaling.beta_slow = detail::widen(*b);
    if (const auto a = f.get_optional<float>(key("rope.scaling.yarn_attn_factor")))
      s.rope_scaling.attention_factor = detail::widen(*a);
  }
  return s;
}

// False when the file's context_length may be the converter's fallback
// rather than the model's (every `chatglm` file; see shape_from_gguf): a
// caller checking a GGUF against a known configuration skips that field.
inline bool context_length_reliable(const gguf_file& f) { return f.architecture() != "chatglm"; }

// The file's shape as it compares with a compiled one: fields a GGUF cannot
// state faithfully are taken from `compiled` (the converter's fallback
// context length in chatglm files, and tying, which a GGUF expresses by
// dropping output.weight).
inline model_shape shape_from_gguf(const gguf_file& f, const model_shape& compiled) {
  model_shape found = shape_from_gguf(f);
  if (!context_length_reliable(f)) found.max_context = compiled.max_context;
  if (found.tie_word_embeddings) found.tie_word_embeddings = compiled.tie_word_embeddings;
  return found;
}

// The tokenizer embedded in a GGUF, as plain data. tokens / merges /
// token_types / pre are what glm4::tokenizer::vocab_spec takes; merges and
// pre are empty when the file has none, chat_template likewise.
struct gguf_vocab {
  std::string model;  // tokenizer.ggml.model: "gpt2" for GLM-4's byte-level BPE
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<std::int32_t> token_types;
  std::string pre;  // pre-tokenizer: "glm4" or "chatglm-bpe"
  std::optional<std::int32_t> bos_id, eos_id, eot_id, eom_id, unknown_id, padding_id;
  std::string chat_template;
};

inline gguf_vocab vocab_from_gguf(const gguf_file& f) {
  gguf_vocab v;
  v.model = f.get<std::string>("tokenizer.ggml.model");
  v.tokens = f.get_array<std::string>("tokenizer.ggml.tokens");
  if (f.contains("tokenizer.ggml.merges")) v.merges = f.get_array<std::string>("tokenizer.ggml.merges");
  v.token_types = f.get_array<std::int32_t>("tokenizer.ggml.token_type");
  if (v.token_types.size() != v.tokens.size())
    throw format_error(f.path().string() + ": tokenizer.ggml.token_type has " +
                       std::to_string(v.token_types.size()) + " entries, tokenizer.ggml.tokens " +
                       std::to_string(v.tokens.size()));
  v.pre = f.get_optional<std::string>("tokenizer.ggml.pre").value_or("");
  v.chat_template = f.get_optional<std::string>("tokenizer.chat_template").value_or("");
  const auto id = [&](std::string_view name, std::optional<std::int32_t>& out) {
    const std::string k = "tokenizer.ggml." + std::string(name) + "_token_id";
    const auto raw = f.get_optional<std::uint32_t>(k);
    if (!raw) return;
    if (*raw >= v.tokens.size())
      throw format_error(f.path().string() + ": " + k + " is " + std::to_string(*raw) + ", outside the " +
                         std::to_string(v.tokens.size()) + " tokens");
    out = static_cast<std::int32_t>(*raw);
  };
  id("bos", v.bos_id);
  id("eos", v.eos_id);
  id("eot", v.eot_id);
  id("eom", v.eom_id);
  id("unknown", v.unknown_id);
  id("padding", v.padding_id);
  return v;
}

// The tensors of a glm4 / chatglm / glm130b GGUF under canonical names, bytes in place
// in the file's mapping (kept alive by this source).
class gguf_source final : public tensor_source {
 public:
  static std::unique_ptr<gguf_source> open(const std::filesystem::path& path) {
    return std::make_unique<gguf_source>(gguf_file::open(path));
  }

  explicit gguf_source(std::shared_ptr<const gguf_file> file) : file_(std::move(file)) {
    detail::require_glm_architecture(*file_);
    for (const auto& t : file_->tensors()) {
      std::string name = canonical_name(t.name, file_->architecture());
      if (const auto [it, fresh] = by_name_.emplace(name, &t); !fresh)
        throw format_error(file_->path().string() + ": tensors '" + it->second->name + "' and '" + t.name +
                           "' both map to '" + name + "'");
    }
  }

  std::optional<source_tensor> find(std::string_view name) const override {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    const gguf_tensor& t = *it->second;
    return source_tensor{it->first, file_->path().string(), t.name, t.type, t.shape(), t.bytes, file_->mapping()};
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    out.reserve(by_name_.size());
    for (const auto& [name, t] : by_name_) out.push_back(name);
    return out;
  }

  std::string describe() const override {
    return file_->path().string() + " (GGUF v" + std::to_string(file_->version()) + ", " +
           file_->architecture() + ", " + std::to_string(by_name_.size()) + " tensors)";
  }

  bool absent_lm_head_is_tied() const override { return true; }

  void release(std::span<const std::byte> bytes) const override { file_->mapping()->release(bytes); }

  const gguf_file& file() const { return *file_; }

 private:
  std::shared_ptr<const gguf_file> file_;
  std::map<std::string, const gguf_tensor*, std::less<>> by_name_;
};

}  // namespace glm4::io
