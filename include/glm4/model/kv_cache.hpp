// Keys and values of every position seen so far, per layer, in a format F
// chosen at compile time by the session: f32; f16 or bf16 (half the bytes);
// or q8_0 (a little over a quarter: int8 codes with an f16 scale per 32
// values of one position, llama.cpp's `-ctk q8_0 -ctv q8_0`).
//
// Per layer and KV head, values are [position][head_dim] and keys come in
// tiles of key_tile() positions, each tile [head_dim][key_tile()]
// (dimension-major): the scores of a tile's positions are then one vector
// FMA per dimension with the query value broadcast (kernels/attention.hpp),
// where position-major keys would need a horizontal sum per score.
// key_tile() is the float vector length, at most 16. Attention reads a block
// of positions at a time as f32 (keys(), values()): an f32 cache in place,
// the others converted into the caller's scratch. Sized once for the
// context the user asks for; nothing is allocated per token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/core/error.hpp"
#include "glm4/kernels/attention.hpp"
#include "glm4/kernels/dot_bf16.hpp"
#include "glm4/kernels/dot_f16.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/bf16.hpp"
#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/f32.hpp"
#include "glm4/quant/q8_0.hpp"
#include "glm4/runtime/memory.hpp"

namespace glm4::inline GLM4_TARGET {

// The formats a KV cache stores: one value per block (kept as is), or q8_0.
template <class F>
concept kv_format = (quant::block_format<F> && F::block_elems == 1) || std::same_as<F, quant::q8_0>;

namespace detail {
// Positions of the key tiles that hold `positions` positions.
inline std::size_t key_positions(std::size_t positions) {
  const std::size_t tile = kernels::hn::Lanes(kernels::key_tile_tag());
  return (positions + tile - 1) / tile * tile;
}

// Bytes of the keys and values of `context` positions (keys rounded up to
// whole tiles) over every layer and KV head, in blocks of `block_bytes`
// bytes per `block_values` values; nullopt past size_t.
inline std::optional<std::size_t> cache_bytes(const model_shape& s, std::int64_t context, std::size_t block_bytes,
                                              std::size_t block_values) {
  const auto positions = static_cast<std::size_t>(context);
  const auto per_position = checked_mul(static_cast<std::size_t>(s.num_layers) * static_cast<std::size_t>(s.num_kv_heads),
                                        static_cast<std::size_t>(s.head_dim) / block_values * block_bytes);
  const auto both = checked_add(key_positions(positions), positions);
  return both && per_position ? checked_mul(*both, *per_position) : std::nullopt;
}
}  // namespace detail

template <kv_format F = quant::f32>
class kv_cache {
 public:
  using format = F;
  using value_type = typename F::block;
  // Attention reads an f32 cache where it lies (and prefetches ahead).
  static constexpr bool reads_in_place = std::is_same_v<F, quant::f32>;

  kv_cache(const model_shape& s, std::int64_t context)
      : layers_(static_cast<std::size_t>(s.num_layers)),
        kv_heads_(static_cast<std::size_t>(s.num_kv_heads)),
        head_dim_(static_cast<std::size_t>(s.head_dim)),
        context_(static_cast<std::size_t>(context)),
        tile_(kernels::hn::Lanes(kernels::key_tile_tag())),
        tiles_((context_ + tile_ - 1) / tile_),
        keys_(layers_ * kv_heads_ * tiles_ * tile_ * head_dim_),
        values_(layers_ * kv_heads_ * context_ * head_dim_) {}

  std::size_t context() const { return context_; }
  std::size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(value_type); }
  // bytes() of a cache for `context` tokens, before allocating it; nullopt
  // past size_t.
  static std::optional<std::size_t> bytes_for(const model_shape& s, std::int64_t context) {
    return detail::cache_bytes(s, context, sizeof(value_type), 1);
  }
  std::size_t key_tile() const { return tile_; }

  // Stores head_dim values of key and value at `pos`.
  void store(std::size_t layer, std::size_t head, std::size_t pos, const float* k, const float* v) {
    value_type* tile = keys_.data() + tile_offset(layer, head, pos / tile_) + pos % tile_;
    for (std::size_t i = 0; i < head_dim_; ++i) F::quantize(k + i, tile + i * tile_, 1);
    F::quantize(v, values_.data() + value_offset(layer, head, pos), head_dim_);
  }

  // Key tiles [first, first + count) as f32 (tile t: value i of its position
  // p at [(t - first) * key_tile() * head_dim + i * key_tile() + p]): in
  // place for f32, else converted into `scratch`.
  const float* keys(std::size_t layer, std::size_t head, std::size_t first, std::size_t count, float* scratch) const {
    return as_f32(keys_.data() + tile_offset(layer, head, first), count * tile_ * head_dim_, scratch);
  }
  // Values of positions [first, first + count) as f32, [position][head_dim].
  const float* values(std::size_t layer, std::size_t head, std::size_t first, std::size_t count, float* scratch) const {
    return as_f32(values_.data() + value_offset(layer, head, first), count * head_dim_, scratch);
  }
  // The key and the value at `pos` as head_dim floats.
  void read_key(std::size_t layer, std::size_t head, std::size_t pos, float* out) const {
    const value_type* tile = keys_.data() + tile_offset(layer, head, pos / tile_) + pos % tile_;
    for (std::size_t i = 0; i < head_dim_; ++i) F::dequantize(tile + i * tile_, out + i, 1);
  }
  void read_value(std::size_t layer, std::size_t head, std::size_t pos, float* out) const {
    F::dequantize(values_.data() + value_offset(layer, head, pos), out, head_dim_);
  }

 private:
  // The n values at src as f32; converted a cache line at a time, each
  // line's twin n values on (the next block's) prefetched into L2.
  static const float* as_f32(const value_type* src, std::size_t n, float* scratch) {
    if constexpr (reads_in_place) {
      return src;
    } else {
      constexpr std::size_t line = 64 / sizeof(value_type);
      for (std::size_t i = 0; i < n; i += line) {
        const std::size_t m = std::min(line, n - i);
        kernels::prefetch_to_l2(src + n + i);
        if constexpr (std::is_same_v<F, quant::f16>)
          kernels::widen_f16(src + i, scratch + i, m);
        else if constexpr (std::is_same_v<F, quant::bf16>)
          kernels::widen_bf16(src + i, scratch + i, m);
        else
          F::dequantize(src + i, scratch + i, m);
      }
      return scratch;
    }
  }
  std::size_t tile_offset(std::size_t layer, std::size_t head, std::size_t t) const {
    return ((layer * kv_heads_ + head) * tiles_ + t) * tile_ * head_dim_;
  }
  std::size_t value_offset(std::size_t layer, std::size_t head, std::size_t pos) const {
    return ((layer * kv_heads_ + head) * context_ + pos) * head_dim_;
  }

  std::size_t layers_, kv_heads_, head_dim_, context_, tile_, tiles_;
  std::vector<value_type> keys_, values_;
};

// q8_0: each position's key and value cut into blocks of 32 values, each
// block int8 codes and an f16 scale, rounded as quant::q8_0 (ggml's
// quantize_row_q8_0_ref) rounds them. Values are q8_0 blocks as such; a key
// tile keeps its codes dimension-major like the other formats' tiles,
// [head_dim][key_tile()] int8, and its scales [head_dim / 32][key_tile()],
// so a tile's dimension i widens to f32 as one vector of codes times one
// vector of scales.
template <>
class kv_cache<quant::q8_0> {
 public:
  using format = quant::q8_0;
  static constexpr bool reads_in_place = false;
  static constexpr std::size_t block = quant::q8_0::block_elems;

  kv_cache(const model_shape& s, std::int64_t context)
      : layers_(static_cast<std::size_t>(s.num_layers)),
        kv_heads_(static_cast<std::size_t>(s.num_kv_heads)),
        head_dim_(checked_head_dim(s)),
        context_(static_cast<std::size_t>(context)),
        tile_(kernels::hn::Lanes(kernels::key_tile_tag())),
        tiles_((context_ + tile_ - 1) / tile_),
        key_codes_(layers_ * kv_heads_ * tiles_ * tile_ * head_dim_),
        key_scales_(layers_ * kv_heads_ * tiles_ * tile_ * (head_dim_ / block)),
        values_(layers_ * kv_heads_ * context_ * (head_dim_ / block)) {}

  std::size_t context() const { return context_; }
  std::size_t bytes() const {
    return key_codes_.size() + key_scales_.size() * sizeof(quant::f16::block) + values_.size() * sizeof(quant::q8_0::block);
  }
  static std::optional<std::size_t> bytes_for(const model_shape& s, std::int64_t context) {
    checked_head_dim(s);
    return detail::cache_bytes(s, context, sizeof(quant::q8_0::block), block);
  }
  std::size_t key_tile() const { return tile_; }

  void store(std::size_t layer, std::size_t head, std::size_t pos, const float* k, const float* v) {
    const std::size_t t = pos / tile_, p = pos % tile_;
    std::int8_t* codes = key_codes_.data() + tile_offset(layer, head, t) * head_dim_;
    quant::f16::block* scales = key_scales_.data() + tile_offset(layer, head, t) * (head_dim_ / block);
    for (std::size_t b = 0; b < head_dim_ / block; ++b) {
      quant::q8_0::block q;
      quant::q8_0::quantize(k + b * block, &q, block);
      scales[b * tile_ + p] = q.d;
      for (std::size_t j = 0; j < block; ++j) codes[(b * block + j) * tile_ + p] = q.qs[j];
    }
    quant::q8_0::quantize(v, values_.data() + value_offset(layer, head, pos), head_dim_);
  }

  const float* keys(std::size_t layer, std::size_t head, std::size_t first, std::size_t count, float* scratch) const {
    const kernels::key_tile_tag d;
    const kernels::hn::Rebind<hwy::float16_t, kernels::key_tile_tag> dh;
    const std::int8_t* codes = key_codes_.data() + tile_offset(layer, head, first) * head_dim_;
    const auto* scales = reinterpret_cast<const hwy::float16_t*>(key_scales_.data() +
                                                                 tile_offset(layer, head, first) * (head_dim_ / block));
    float* out = scratch;
    for (std::size_t t = 0; t < count; ++t, scales += tile_ * (head_dim_ / block))
      for (std::size_t b = 0; b < head_dim_ / block; ++b) {
        const auto scale = kernels::hn::PromoteTo(d, kernels::hn::LoadU(dh, scales + b * tile_));
        for (std::size_t j = 0; j < block; ++j, codes += tile_, out += tile_) {
          kernels::prefetch_to_l2(codes + count * tile_ * head_dim_);  // the next block's
          widen_codes(codes, scale, out);
        }
      }
    return scratch;
  }
  const float* values(std::size_t layer, std::size_t head, std::size_t first, std::size_t count, float* scratch) const {
    const kernels::key_tile_tag d;
    const std::size_t N = kernels::hn::Lanes(d);
    const quant::q8_0::block* src = values_.data() + value_offset(layer, head, first);
    float* out = scratch;
    for (std::size_t b = 0; b < count * (head_dim_ / block); ++b) {
      kernels::prefetch_to_l2(src + count * (head_dim_ / block) + b);  // the next block's
      const auto scale = kernels::hn::Set(d, quant::f16::to_float(src[b].d));
      for (std::size_t j = 0; j < block; j += N, out += N) widen_codes(src[b].qs + j, scale, out);
    }
    return scratch;
  }
  void read_key(std::size_t layer, std::size_t head, std::size_t pos, float* out) const {
    const std::size_t t = pos / tile_, p = pos % tile_;
    const std::int8_t* codes = key_codes_.data() + tile_offset(layer, head, t) * head_dim_;
    const quant::f16::block* scales = key_scales_.data() + tile_offset(layer, head, t) * (head_dim_ / block);
    for (std::size_t i = 0; i < head_dim_; ++i)
      out[i] = static_cast<float>(codes[i * tile_ + p]) * quant::f16::to_float(scales[i / block * tile_ + p]);
  }
  void read_value(std::size_t layer, std::size_t head, std::size_t pos, float* out) const {
    quant::q8_0::dequantize(values_.data() + value_offset(layer, head, pos), out, head_dim_);
  }

 private:
  // One vector of codes times `scale`, as f32.
  static void widen_codes(const std::int8_t* codes, kernels::hn::Vec<kernels::key_tile_tag> scale, float* out) {
    const kernels::key_tile_tag d;
    const kernels::hn::Rebind<std::int8_t, kernels::key_tile_tag> d8;
    const kernels::hn::Rebind<std::int32_t, kernels::key_tile_tag> d32;
    const auto q = kernels::hn::PromoteTo(d32, kernels::hn::LoadU(d8, codes));
    kernels::hn::StoreU(kernels::hn::Mul(kernels::hn::ConvertTo(d, q), scale), d, out);
  }
  static std::size_t checked_head_dim(const model_shape& s) {
    if (s.head_dim % static_cast<std::int64_t>(block) != 0)
      throw invalid_argument("a q8_0 KV cache needs head_dim to be a multiple of 32; this model's is " +
                             std::to_string(s.head_dim));
    return static_cast<std::size_t>(s.head_dim);
  }
  // In positions: the first position of tile t (codes and scales are that
  // many head_dim-s and head_dim / 32-s in).
  std::size_t tile_offset(std::size_t layer, std::size_t head, std::size_t t) const {
    return ((layer * kv_heads_ + head) * tiles_ + t) * tile_;
  }
  // In q8_0 blocks.
  std::size_t value_offset(std::size_t layer, std::size_t head, std::size_t pos) const {
    return ((layer * kv_heads_ + head) * context_ + pos) * (head_dim_ / block);
  }

  std::size_t layers_, kv_heads_, head_dim_, context_, tile_, tiles_;
  std::vector<std::int8_t> key_codes_;
  std::vector<quant::f16::block> key_scales_;
  std::vector<quant::q8_0::block> values_;
};

}  // namespace glm4::inline GLM4_TARGET
