// The model's tensors, named as in transformers' modeling_glm4.py, and the
// loader that fills them from any tensor_source. Each matrix is either used in
// place from the mapped file (its type already the compiled one) or converted
// once here; nothing converts weights after load.
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/tensor_source.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/load_options.hpp"
#include "glm4/model/weight_scheme.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/quant/matrix.hpp"

namespace glm4::inline GLM4_TARGET {

template <weights::weight_scheme S>
struct layer_weights {
  using attn_t = typename S::attention;
  using ffn_t = typename S::ffn;

  std::vector<float> input_layernorm;
  weight_matrix<attn_t> q_proj, k_proj, v_proj, o_proj;
  std::vector<float> q_bias, k_bias, v_bias;
  std::vector<float> post_self_attn_layernorm;  // glm4 blocks only
  std::vector<float> post_attention_layernorm;  // the pre-MLP norm, despite its name
  weight_matrix<ffn_t> gate_up_proj;  // rows [0, I) gate, [I, 2I) up
  weight_matrix<ffn_t> down_proj;
  std::vector<float> post_mlp_layernorm;  // glm4 blocks only

  // glm130b blocks (SwissArmyTransformer's tensors): one fused projection
  // whose rows are, head after head, that head's q, k and v rows (split after
  // the matmul, so the file's matrix is used in place); LayerNorm biases; a
  // bias on every projection; gate_up_proj rows [0, I) the value half x1,
  // [I, 2I) the GELU half x2.
  weight_matrix<attn_t> qkv_proj;
  std::vector<float> qkv_bias, o_bias, gate_up_bias, down_bias;
  std::vector<float> input_layernorm_bias, post_attention_layernorm_bias;
};

template <weights::weight_scheme S>
struct model_weights {
  weight_matrix<typename S::embedding> embed_tokens;
  std::vector<layer_weights<S>> layers;
  std::vector<float> norm;
  std::vector<float> norm_bias;  // glm130b: the final LayerNorm's bias
  weight_matrix<typename S::output> lm_head;

  std::size_t matrix_bytes() const {
    std::size_t b = embed_tokens.bytes() + lm_head.bytes();
    for (const auto& l : layers)
      b += l.q_proj.bytes() + l.k_proj.bytes() + l.v_proj.bytes() + l.qkv_proj.bytes() + l.o_proj.bytes() +
           l.gate_up_proj.bytes() + l.down_proj.bytes();
    return b;
  }
};

// GLM-130B's tensors keep SwissArmyTransformer's names (it has no other).
inline constexpr std::string_view glm130b_embedding = "transformer.word_embeddings.weight";

// The scheme role a canonical matrix name belongs to.
enum class weight_role { embedding, attention, ffn, output };

inline weight_role role_of(std::string_view canonical_name) {
  if (canonical_name == "model.embed_tokens.weight" || canonical_name == glm130b_embedding) return weight_role::embedding;
  if (canonical_name == "lm_head.weight") return weight_role::output;
  return canonical_name.find(".mlp.") != std::string_view::npos ? weight_role::ffn : weight_role::attention;
}

constexpr std::string_view to_string(weight_role r) {
  constexpr std::string_view names[] = {"embedding", "attention", "ffn", "output"};
  return names[static_cast<int>(r)];
}

namespace detail {

inline std::string shape_string(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Takes tensors out of a source by canonical name, checking presence and
// shape, and remembers what it took so leftovers can be reported.
class tensor_taker {
 public:
  tensor_taker(const io::tensor_source& src, const load_options& options) : src_(src), options_(options) {}

  bool has(const std::string& name) const { return src_.contains(name); }

  io::source_tensor take(const std::string& name, const std::vector<std::int64_t>& shape) {
    auto t = src_.find(name);
    if (!t) throw config_mismatch(src_.describe() + ": missing tensor '" + name + "'");
    if (t->shape != shape)
      throw config_mismatch(t->file + ": tensor '" + t->file_name + "' has shape " + shape_string(t->shape) +
                            ", the compiled configuration needs " + shape_string(shape));
    taken_.insert(name);
    return *t;
  }

  std::vector<float> vector(const std::string& name, std::int64_t n) {
    const auto t = take(name, {n});
    std::vector<float> out(static_cast<std::size_t>(n));
    decode(t, 0, static_cast<std::size_t>(n), out.data());
    return out;
  }

  // Rows [row0, row0 + rows) of a 2-D tensor as a matrix in format F.
  template <quant::block_format F>
  matrix<F> rows_of(const io::source_tensor& t, std::size_t row0, std::size_t rows) {
    const std::size_t cols = static_cast<std::size_t>(t.shape[1]);
    if (cols % F::block_elems != 0)
      throw config_mismatch(t.file + ": tensor '" + t.file_name + "' has rows of " + std::to_string(cols) +
                            " values, which " + std::string(F::name) + " (blocks of " +
                            std::to_string(F::block_elems) + ") cannot store");
    using block = typename F::block;
    const std::size_t row_bytes = quant::storage_bytes<F>(cols);
    if (t.type == F::type) {
      const std::byte* p = t.bytes.data() + row0 * row_bytes;
      if (reinterpret_cast<std::uintptr_t>(p) % alignof(block) == 0)
        return matrix<F>(reinterpret_cast<const block*>(p), rows, cols, t.owner);
    }
    if (t.type != F::type) report_conversion(t, F::name);
    auto owned = std::make_shared<std::vector<block>>(rows * (cols / F::block_elems));
    std::vector<float> row(cols);
    for (std::size_t r = 0; r < rows; ++r) {
      decode(t, (row0 + r) * cols, cols, row.data());
      F::quantize(row.data(), owned->data() + r * (cols / F::block_elems), cols);
    }
    return matrix<F>(owned->data(), rows, cols, owned);
  }

  // Rows of a tensor for a role: an any_of role keeps the file's format when
  // it is one of its own members (repacking it where the member is
  // repacked<F>); a repacked<F> role repacks the rows of format F.
  template <weights::role_format R>
  weight_matrix<R> role_rows(const io::source_tensor& t, std::size_t row0, std::size_t rows) {
    weight_matrix<R> out = stored_rows<R>(t, row0, rows);
    if (options_.progress) options_.progress(++matrices_done_, matrices_total_);
    return out;
  }

  template <weights::role_format R>
  weight_matrix<R> stored_rows(const io::source_tensor& t, std::size_t row0, std::size_t rows) {
    if constexpr (quant::block_format<R>) {
      return rows_of<R>(t, row0, rows);
    } else if constexpr (requires { typename R::format; }) {
      weight_matrix<R> out(rows_of<typename R::format>(t, row0, rows));
      const auto file_type = quant::traits_of(t.type);
      const std::size_t row_bytes = static_cast<std::size_t>(t.shape[1]) / file_type.block_elems * file_type.block_bytes;
      src_.release(t.bytes.subspan(row0 * row_bytes, rows * row_bytes));
      return out;
    } else {
      return [&]<class First, class... Rest>(weights::any_of<First, Rest...>*) {
        std::optional<weight_matrix<R>> kept;
        (void)((weights::accepts<Rest>(t.type) ? (kept = stored_rows<Rest>(t, row0, rows), true) : false) || ...);
        return kept ? *kept : weight_matrix<R>(stored_rows<First>(t, row0, rows));
      }(static_cast<R*>(nullptr));
    }
  }

  // How many matrices load_weights will take, for load_options::progress.
  void expect_matrices(std::size_t total) { matrices_total_ = total; }

  template <weights::role_format R>
  weight_matrix<R> matrix_of(const std::string& name, std::int64_t rows, std::int64_t cols) {
    return role_rows<R>(take(name, {rows, cols}), 0, static_cast<std::size_t>(rows));
  }

  void require_all_taken() const {
    for (const auto& name : src_.names())
      if (!taken_.count(name))
        throw config_mismatch(src_.describe() + ": unexpected tensor '" + name +
                              "' (not part of the compiled configuration: more layers, or another architecture?)");
  }

 private:
  void report_conversion(const io::source_tensor& t, std::string_view to) {
    const std::string role(to_string(role_of(t.name))), from = quant::type_name(t.type);
    if (options_.strict_types)
      throw config_mismatch(t.file + ": tensor '" + t.file_name + "' is " + from + ", but the compiled scheme stores " +
                            role + " weights as " + std::string(to) + " (strict_types forbids converting)");
    if (reported_.insert(role + from + std::string(to)).second && options_.note)
      options_.note(role + " weights: converting " + from + " to " + std::string(to) + " at load (first: " + t.file_name +
                    " in " + t.file + ")");
  }

  // Values [first, first + n) of a tensor as floats, whatever its type.
  static void decode(const io::source_tensor& t, std::size_t first, std::size_t n, float* out) {
    const auto traits = quant::traits_of(t.type);
    if (first % traits.block_elems || n % traits.block_elems)
      throw format_error(t.file + ": tensor '" + t.file_name + "' is not a whole number of " +
                         quant::type_name(t.type) + " blocks");
    const std::size_t b0 = first / traits.block_elems * traits.block_bytes;
    const std::size_t nb = n / traits.block_elems * traits.block_bytes;
    const auto bytes = t.bytes.subspan(b0, nb);
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) == 0) {
      quant::dequantize(t.type, bytes, out, n);
    } else {  // an unaligned tensor in a file: decode from an aligned copy
      std::vector<float> aligned((nb + sizeof(float) - 1) / sizeof(float));
      std::memcpy(aligned.data(), bytes.data(), nb);
      quant::dequantize(t.type, std::as_bytes(std::span(aligned)).first(nb), out, n);
    }
  }

  const io::tensor_source& src_;
  const load_options& options_;
  std::set<std::string> taken_, reported_;
  std::size_t matrices_done_ = 0, matrices_total_ = 0;
};

}  // namespace detail

// GLM-130B, under SwissArmyTransformer's names; the output is the embedding.
template <weights::weight_scheme S>
model_weights<S> load_glm130b_weights(detail::tensor_taker& take, const model_shape& s) {
  using attn_t = typename S::attention;
  using ffn_t = typename S::ffn;
  model_weights<S> w;
  const auto H = s.hidden_size, I = s.intermediate_size;
  const std::string embedding(glm130b_embedding);
  w.embed_tokens = take.template matrix_of<typename S::embedding>(embedding, s.vocab_size, H);
  for (std::int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "transformer.layers." + std::to_string(l) + ".";
    layer_weights<S> L;
    L.input_layernorm = take.vector(p + "input_layernorm.weight", H);
    L.input_layernorm_bias = take.vector(p + "input_layernorm.bias", H);
    L.qkv_proj = take.template matrix_of<attn_t>(p + "attention.query_key_value.weight", 3 * H, H);
    L.qkv_bias = take.vector(p + "attention.query_key_value.bias", 3 * H);
    L.o_proj = take.template matrix_of<attn_t>(p + "attention.dense.weight", H, H);
    L.o_bias = take.vector(p + "attention.dense.bias", H);
    L.post_attention_layernorm = take.vector(p + "post_attention_layernorm.weight", H);
    L.post_attention_layernorm_bias = take.vector(p + "post_attention_layernorm.bias", H);
    L.gate_up_proj = take.template matrix_of<ffn_t>(p + "mlp.dense_h_to_4h.weight", 2 * I, H);
    L.gate_up_bias = take.vector(p + "mlp.dense_h_to_4h.bias", 2 * I);
    L.down_proj = take.template matrix_of<ffn_t>(p + "mlp.dense_4h_to_h.weight", H, I);
    L.down_bias = take.vector(p + "mlp.dense_4h_to_h.bias", H);
    w.layers.push_back(std::move(L));
  }
  w.norm = take.vector("transformer.final_layernorm.weight", H);
  w.norm_bias = take.vector("transformer.final_layernorm.bias", H);
  w.lm_head = take.template matrix_of<typename S::output>(embedding, s.vocab_size, H);
  return w;
}

template <weights::weight_scheme S>
model_weights<S> load_weights(const io::tensor_source& src, const model_shape& s, const load_options& options = {}) {
  using attn_t = typename S::attention;
  using ffn_t = typename S::ffn;
  detail::tensor_taker take(src, options);
  if (s.style == block_style::glm130b) {
    take.expect_matrices(2 + 4 * static_cast<std::size_t>(s.num_layers));  // embedding, qkv o h_to_4h 4h_to_h, output
    auto w = load_glm130b_weights<S>(take, s);
    take.require_all_taken();
    return w;
  }
  take.expect_matrices(2 + 6 * static_cast<std::size_t>(s.num_layers));  // embedding, q k v o gate_up down, output
  model_weights<S> w;
  const auto H = s.hidden_size, Q = s.q_dim(), KV = s.kv_dim(), I = s.intermediate_size;

  w.embed_tokens = take.template matrix_of<typename S::embedding>("model.embed_tokens.weight", s.vocab_size, H);
  for (std::int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    layer_weights<S> L;
    L.input_layernorm = take.vector(p + "input_layernorm.weight", H);
    if (take.has(p + "self_attn.qkv_proj.weight")) {
      // THUDM / llama.cpp-chatglm layout: one fused matrix, rows q | k | v.
      const auto qkv = take.take(p + "self_attn.qkv_proj.weight", {Q + 2 * KV, H});
      L.q_proj = take.template role_rows<attn_t>(qkv, 0, Q);
      L.k_proj = take.template role_rows<attn_t>(qkv, Q, KV);
      L.v_proj = take.template role_rows<attn_t>(qkv, Q + KV, KV);
      const auto bias = take.vector(p + "self_attn.qkv_proj.bias", Q + 2 * KV);
      L.q_bias.assign(bias.begin(), bias.begin() + Q);
      L.k_bias.assign(bias.begin() + Q, bias.begin() + Q + KV);
      L.v_bias.assign(bias.begin() + Q + KV, bias.end());
    } else {
      L.q_proj = take.template matrix_of<attn_t>(p + "self_attn.q_proj.weight", Q, H);
      L.k_proj = take.template matrix_of<attn_t>(p + "self_attn.k_proj.weight", KV, H);
      L.v_proj = take.template matrix_of<attn_t>(p + "self_attn.v_proj.weight", KV, H);
      L.q_bias = take.vector(p + "self_attn.q_proj.bias", Q);
      L.k_bias = take.vector(p + "self_attn.k_proj.bias", KV);
      L.v_bias = take.vector(p + "self_attn.v_proj.bias", KV);
    }
    L.o_proj = take.template matrix_of<attn_t>(p + "self_attn.o_proj.weight", H, Q);
    L.post_attention_layernorm = take.vector(p + "post_attention_layernorm.weight", H);
    L.gate_up_proj = take.template matrix_of<ffn_t>(p + "mlp.gate_up_proj.weight", 2 * I, H);
    L.down_proj = take.template matrix_of<ffn_t>(p + "mlp.down_proj.weight", H, I);
    if (s.style == block_style::glm4) {
      L.post_self_attn_layernorm = take.vector(p + "post_self_attn_layernorm.weight", H);
      L.post_mlp_layernorm = take.vector(p + "post_mlp_layernorm.weight", H);
    }
    w.layers.push_back(std::move(L));
  }
  w.norm = take.vector("model.norm.weight", H);
  const bool tied = !take.has("lm_head.weight") && (s.tie_word_embeddings || src.absent_lm_head_is_tied());
  if (!tied)
    w.lm_head = take.template matrix_of<typename S::output>("lm_head.weight", s.vocab_size, H);
  else
    w.lm_head = take.template matrix_of<typename S::output>("model.embed_tokens.weight", s.vocab_size, H);
  take.require_all_taken();
  return w;
}

}  // namespace glm4::inline GLM4_TARGET
