// The GLM forward pass, top to bottom, for a batch of n tokens of one or
// more sequences (a prompt chunk: n consecutive tokens; decode: 1; batched
// decode: one per sequence). Every row goes through the matmuls together;
// attention is each sequence's own, over its own KV cache. Shapes in
// comments: H hidden, Q = heads*head_dim, KV = kv_heads*head_dim, I
// intermediate, V vocab.
//
// GLM-4 (glm and glm4 blocks, pre-norm):
//   x = embed_tokens[ids]                                          [n, H]
//   for each layer:
//     a = rms_norm(x, input_layernorm)
//     q, k, v = a Wq^T + bq, a Wk^T + bk, a Wv^T + bv              [n, Q] [n, KV] [n, KV]
//     rotate q, k (partial, interleaved pairs); append k, v to the cache
//     o = attention(q, cache) Wo^T                                 [n, H]
//     glm4 blocks: o = rms_norm(o, post_self_attn_layernorm)
//     x = x + o
//     m = rms_norm(x, post_attention_layernorm)
//     g|u = m Wgate_up^T                                           [n, 2I]
//     f = (silu(g) * u) Wdown^T                                    [n, H]
//     glm4 blocks: f = rms_norm(f, post_mlp_layernorm)
//     x = x + f
//   logits = rms_norm(x, norm) Wlm^T                               [n, V]
//
// GLM-130B (glm130b blocks, post-norm DeepNorm, alpha = sqrt(2 layers)):
//   for each layer:
//     a = layer_norm(x, input_layernorm)
//     q|k|v per head = a Wqkv^T + bqkv                             [n, 3H]
//     rotate q, k (whole heads, NeoX halves); append k, v to the cache
//     x = alpha a + (attention(q, cache) Wo^T + bo)
//     m = layer_norm(x, post_attention_layernorm)
//     x1|x2 = m Wh4h^T + bh4h                                      [n, 2I]
//     x = alpha m + ((x1 * gelu(x2)) W4hh^T + b4hh)
//   logits = layer_norm(x, final_layernorm) Wembed^T
//
// The code is instantiated per weight scheme only; the shapes, and with them
// the block style, are runtime data (config/model_shape.hpp explains why):
// the style is one branch per layer, never inside a loop over values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/core/error.hpp"
#include "glm4/kernels/attention.hpp"
#include "glm4/kernels/gelu_mul.hpp"
#include "glm4/kernels/layer_norm.hpp"
#include "glm4/kernels/rms_norm.hpp"
#include "glm4/kernels/silu_mul.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/attention_layout.hpp"
#include "glm4/model/kv_cache.hpp"
#include "glm4/model/rope.hpp"
#include "glm4/model/weights.hpp"
#include "glm4/runtime/matmul.hpp"
#include "glm4/runtime/memory.hpp"
#include "glm4/runtime/thread_pool.hpp"

namespace glm4::inline GLM4_TARGET {

// Query tokens per attention task in a batch: with the 16 heads of a
// GLM-4-9B-0414 group, 64 rows share each block of keys and values.
inline constexpr std::size_t attention_tile_tokens = 4;

// Activation buffers for batches of up to `max_tokens` tokens, allocated once
// per session.
struct workspace {
  workspace(const model_shape& s, std::size_t max_tokens, std::size_t threads)
      : max_tokens(max_tokens),
        x(max_tokens * s.hidden_size),
        a(max_tokens * s.hidden_size),
        q(max_tokens * s.q_dim()),
        k(max_tokens * s.kv_dim()),
        v(max_tokens * s.kv_dim()),
        qkv(s.style == block_style::glm130b ? max_tokens * (s.q_dim() + 2 * s.kv_dim()) : 0),
        attn(max_tokens * s.q_dim()),
        gate_up(max_tokens * 2 * s.intermediate_size),
        ffn(max_tokens * s.intermediate_size),
        cos(s.rotary_dim() / 2),
        sin(s.rotary_dim() / 2),
        attention(threads, kernels::attention_scratch(
                               static_cast<std::size_t>(s.head_dim),
                               attention_tile_tokens * static_cast<std::size_t>(s.num_heads / s.num_kv_heads))) {}

  // The bytes the buffers above take for `max_tokens`, before allocating
  // them; nullopt past size_t.
  static std::optional<std::size_t> bytes_for(const model_shape& s, std::size_t max_tokens, std::size_t threads) {
    const auto H = static_cast<std::size_t>(s.hidden_size), I = static_cast<std::size_t>(s.intermediate_size);
    const auto q_dim = static_cast<std::size_t>(s.q_dim()), kv_dim = static_cast<std::size_t>(s.kv_dim());
    const std::size_t per_token = 2 * H + 2 * q_dim + 2 * kv_dim + 3 * I +
                                  (s.style == block_style::glm130b ? q_dim + 2 * kv_dim : 0);
    const std::size_t block = kernels::attention_scratch::block_positions();
    const std::size_t per_thread = 2 * block * static_cast<std::size_t>(s.head_dim) + 4 * block +
                                   2 * attention_tile_tokens * static_cast<std::size_t>(s.num_heads / s.num_kv_heads);
    const auto tokens = checked_mul(max_tokens, per_token), scratch = checked_mul(threads, per_thread);
    const auto floats = tokens && scratch ? checked_add(*tokens, *scratch) : std::nullopt;
    return floats ? checked_mul(*floats, sizeof(float)) : std::nullopt;
  }

  std::size_t max_tokens;
  std::vector<float> x, a, q, k, v, qkv, attn, gate_up, ffn, cos, sin;
  std::vector<kernels::attention_scratch> attention;  // one per thread slot
};

// One sequence's part of a forward pass: `ids` go to positions [start,
// start + ids.size()) of `cache` under `layout`, and the last `logit_rows`
// of them get logits.
template <kv_format C>
struct sequence_run {
  std::span<const std::int32_t> ids;
  std::size_t start;
  kv_cache<C>& cache;
  const attention_layout& layout;
  std::size_t logit_rows;
};

template <weights::weight_scheme S>
class transformer {
 public:
  transformer(const model_shape& shape, model_weights<S> w) : shape_(shape), w_(std::move(w)), rope_(shape) {}

  const model_shape& shape() const { return shape_; }
  const model_weights<S>& weights() const { return w_; }

  // Runs every sequence's tokens in one pass over the weights: each run's
  // keys and values go into its own cache at its positions (its layout says
  // what each token sees and its rotary position), and the logits of each
  // run's last `logit_rows` tokens go to `logits`, run after run (rows x
  // vocab). The runs' tokens together fit ws.max_tokens. One run is a
  // prompt batch or a decode step; several are batched decode (one token
  // per session) or a prompt chunk beside other sessions' steps.
  // P: how the integer formats' matmuls quantize activations, prompt
  // batches and decode alike (kernels/activation_precision.hpp).
  template <kernels::activation_precision P = kernels::int8_activations, kv_format C>
  void forward(std::span<const sequence_run<C>> runs, workspace& ws, thread_pool& pool, float* logits) const {
    const auto H = static_cast<std::size_t>(shape_.hidden_size);
    std::size_t n = 0;
    for (const auto& r : runs) {
      embed(r.ids, &ws.x[n * H]);
      n += r.ids.size();
    }
    const batch<C> b{runs, n};
    for (std::size_t l = 0; l < w_.layers.size(); ++l) {
      if (shape_.style == block_style::glm130b)
        glm130b_block<P>(w_.layers[l], l, b, ws, pool);
      else
        glm_block<P>(w_.layers[l], l, b, ws, pool);
    }
    // The rows asked for, normalized next to each other for one matmul.
    std::size_t rows = 0, first = 0;
    for (const auto& r : runs) {
      first += r.ids.size();
      for (std::size_t t = first - r.logit_rows; t < first; ++t, ++rows) {
        if (shape_.style == block_style::glm130b)
          kernels::layer_norm(&ws.x[t * H], w_.norm.data(), w_.norm_bias.data(), eps(), &ws.a[rows * H], H);
        else
          kernels::rms_norm(&ws.x[t * H], w_.norm.data(), eps(), &ws.a[rows * H], H);
      }
    }
    if (rows > 0) matmul<P>(w_.lm_head, ws.a.data(), rows, logits, pool);
  }

 private:
  // What every layer of one forward pass shares: the runs and their tokens
  // in all.
  template <kv_format C>
  struct batch {
    std::span<const sequence_run<C>> runs;
    std::size_t n;
  };

  float eps() const { return static_cast<float>(shape_.rms_norm_eps); }

  template <kernels::activation_precision P, kv_format C>
  void glm_block(const layer_weights<S>& L, std::size_t layer, const batch<C>& b, workspace& ws,
                 thread_pool& pool) const {
    const std::size_t n = b.n, H = static_cast<std::size_t>(shape_.hidden_size);
    const auto I = static_cast<std::size_t>(shape_.intermediate_size);
    for (std::size_t t = 0; t < n; ++t)
      kernels::rms_norm(&ws.x[t * H], L.input_layernorm.data(), eps(), &ws.a[t * H], H);
    matmul<P>(L.q_proj, ws.a.data(), n, ws.q.data(), pool, L.q_bias.data());
    matmul<P>(L.k_proj, ws.a.data(), n, ws.k.data(), pool, L.k_bias.data());
    matmul<P>(L.v_proj, ws.a.data(), n, ws.v.data(), pool, L.v_bias.data());
    attend(layer, b, ws, pool);
    matmul<P>(L.o_proj, ws.attn.data(), n, ws.a.data(), pool);
    if (shape_.style == block_style::glm4) normalize_rows(ws.a.data(), L.post_self_attn_layernorm, n);
    add_rows(ws.x.data(), ws.a.data(), n * H);

    for (std::size_t t = 0; t < n; ++t)
      kernels::rms_norm(&ws.x[t * H], L.post_attention_layernorm.data(), eps(), &ws.a[t * H], H);
    matmul<P>(L.gate_up_proj, ws.a.data(), n, ws.gate_up.data(), pool);
    for (std::size_t t = 0; t < n; ++t)
      kernels::silu_mul(&ws.gate_up[t * 2 * I], &ws.gate_up[t * 2 * I + I], &ws.ffn[t * I], I);
    matmul<P>(L.down_proj, ws.ffn.data(), n, ws.a.data(), pool);
    if (shape_.style == block_style::glm4) normalize_rows(ws.a.data(), L.post_mlp_layernorm, n);
    add_rows(ws.x.data(), ws.a.data(), n * H);
  }

  template <kernels::activation_precision P, kv_format C>
  void glm130b_block(const layer_weights<S>& L, std::size_t layer, const batch<C>& b, workspace& ws,
                     thread_pool& pool) const {
    const std::size_t n = b.n, H = static_cast<std::size_t>(shape_.hidden_size);
    const auto I = static_cast<std::size_t>(shape_.intermediate_size), D = static_cast<std::size_t>(shape_.head_dim);
    const auto heads = static_cast<std::size_t>(shape_.num_heads);
    const auto alpha = static_cast<float>(shape_.deepnorm_alpha());
    for (std::size_t t = 0; t < n; ++t)
      kernels::layer_norm(&ws.x[t * H], L.input_layernorm.data(), L.input_layernorm_bias.data(), eps(), &ws.a[t * H], H);
    matmul<P>(L.qkv_proj, ws.a.data(), n, ws.qkv.data(), pool, L.qkv_bias.data());
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t h = 0; h < heads; ++h) {
        const float* head = &ws.qkv[(t * heads + h) * 3 * D];
        std::copy_n(head, D, &ws.q[(t * heads + h) * D]);
        std::copy_n(head + D, D, &ws.k[(t * heads + h) * D]);
        std::copy_n(head + 2 * D, D, &ws.v[(t * heads + h) * D]);
      }
    attend(layer, b, ws, pool);
    // The residual stream is a's now (post-norm): x is free for the output.
    matmul<P>(L.o_proj, ws.attn.data(), n, ws.x.data(), pool, L.o_bias.data());
    scale_add(ws.x.data(), ws.a.data(), alpha, n * H);

    for (std::size_t t = 0; t < n; ++t)
      kernels::layer_norm(&ws.x[t * H], L.post_attention_layernorm.data(), L.post_attention_layernorm_bias.data(),
                          eps(), &ws.a[t * H], H);
    matmul<P>(L.gate_up_proj, ws.a.data(), n, ws.gate_up.data(), pool, L.gate_up_bias.data());
    for (std::size_t t = 0; t < n; ++t)
      kernels::gelu_mul(&ws.gate_up[t * 2 * I], &ws.gate_up[t * 2 * I + I], &ws.ffn[t * I], I);
    matmul<P>(L.down_proj, ws.ffn.data(), n, ws.x.data(), pool, L.down_bias.data());
    scale_add(ws.x.data(), ws.a.data(), alpha, n * H);
  }

  void embed(std::span<const std::int32_t> ids, float* x) const {
    const auto H = static_cast<std::size_t>(shape_.hidden_size);
    for (std::size_t t = 0; t < ids.size(); ++t) {
      if (ids[t] < 0 || ids[t] >= shape_.vocab_size)
        throw invalid_argument("token id " + std::to_string(ids[t]) + " is outside the vocabulary [0, " +
                               std::to_string(shape_.vocab_size) + ")");
      const auto row = [&]<quant::block_format F>(const matrix<F>& m) {
        F::dequantize(m.row(static_cast<std::size_t>(ids[t])), x + t * H, H);
      };
      if constexpr (quant::block_format<typename S::embedding>)
        row(w_.embed_tokens);
      else
        w_.embed_tokens.visit(row);
    }
  }

  void normalize_rows(float* x, const std::vector<float>& weight, std::size_t n) const {
    const auto H = static_cast<std::size_t>(shape_.hidden_size);
    for (std::size_t t = 0; t < n; ++t) kernels::rms_norm(x + t * H, weight.data(), eps(), x + t * H, H);
  }

  static void add_rows(float* x, const float* y, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) x[i] += y[i];
  }

  // x = alpha * y + x
  static void scale_add(float* x, const float* y, float alpha, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) x[i] += alpha * y[i];
  }

  // Rotates ws.q and ws.k at each run's positions, appends k and v to the
  // runs' caches and leaves the attention of every query head in ws.attn.
  template <kv_format C>
  void attend(std::size_t layer, const batch<C>& b, workspace& ws, thread_pool& pool) const {
    for (std::size_t first = 0; const auto& r : b.runs) {
      attend(layer, r, first, ws, pool);
      first += r.ids.size();
    }
  }

  // The same for one run, whose tokens are rows [first, first + its size).
  template <kv_format C>
  void attend(std::size_t layer, const sequence_run<C>& r, std::size_t first, workspace& ws, thread_pool& pool) const {
    const auto D = static_cast<std::size_t>(shape_.head_dim);
    const auto heads = static_cast<std::size_t>(shape_.num_heads);
    const auto kv_heads = static_cast<std::size_t>(shape_.num_kv_heads);
    const std::size_t Q = heads * D, KV = kv_heads * D, n = r.ids.size(), start = r.start;
    float* const q = &ws.q[first * Q];
    float* const k = &ws.k[first * KV];
    const float* const v = &ws.v[first * KV];
    float* const out = &ws.attn[first * Q];
    for (std::size_t t = 0; t < n; ++t) {
      rope_.angles(r.layout.rotary_position(start + t), ws.cos.data(), ws.sin.data());
      rope_.apply(q + t * Q, heads, D, ws.cos.data(), ws.sin.data());
      rope_.apply(k + t * KV, kv_heads, D, ws.cos.data(), ws.sin.data());
      for (std::size_t h = 0; h < kv_heads; ++h)
        r.cache.store(layer, h, start + t, k + t * KV + h * D, v + t * KV + h * D);
    }
    // One task per KV head, tile of tokens and slice of the group's heads:
    // a batch tiles its tokens with the whole group; one token splits the
    // group so that every thread has a task (each slice streams the head's
    // keys and values again, but from a cache that also serves the others).
    // The slice count follows from the slice size, so that no slice starts
    // past its group: 16 heads for 7 threads are 6 slices, 3 heads each but
    // the last's 1.
    const std::size_t group = heads / kv_heads;
    const std::size_t tile = std::min(n, attention_tile_tokens), tiles = (n + tile - 1) / tile;
    const std::size_t wanted = n == 1 ? std::clamp<std::size_t>(pool.size() / kv_heads, 1, group) : 1;
    const std::size_t slice_heads = (group + wanted - 1) / wanted, slices = (group + slice_heads - 1) / slice_heads;
    pool.parallel_for(kv_heads * tiles * slices, 1, [&](std::size_t begin, std::size_t end, std::size_t slot) {
      for (std::size_t task = begin; task < end; ++task) {
        const std::size_t kv = task / (tiles * slices), t0 = task / slices % tiles * tile;
        const std::size_t h0 = kv * group + task % slices * slice_heads;
        const std::size_t tokens = std::min(tile, n - t0), heads_here = std::min(slice_heads, (kv + 1) * group - h0);
        kernels::attend_group(r.cache, layer, kv, q + t0 * Q + h0 * D, out + t0 * Q + h0 * D, Q, tokens, heads_here,
                              D, start + t0 + 1, ws.attention[slot], r.layout.shared);
      }
    });
  }

  model_shape shape_;
  model_weights<S> w_;
  rope_table rope_;
};

}  // namespace glm4::inline GLM4_TARGET
