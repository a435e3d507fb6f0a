// Keys and values of every position seen so far, per layer, stored in a
// per-value format F (f32, or f16/bf16 to halve the cache: a compile-time
// choice of the session). Per layer and KV head, values are
// [position][head_dim] and keys come in tiles of key_tile() positions, each
// tile [head_dim][key_tile()] (dimension-major): the scores of a tile's
// positions are then one vector FMA per dimension with the query value
// broadcast (kernels/attention.hpp), where position-major keys would need a
// horizontal sum per score. key_tile() is the float vector length, at most
// 16. Sized once for the context the user asks for; nothing is allocated per
// token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/kernels/attention.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f32.hpp"
#include "glm4/runtime/memory.hpp"

namespace glm4::inline GLM4_TARGET {

template <class F>
concept kv_format = quant::block_format<F> && F::block_elems == 1;

template <kv_format F = quant::f32>
class kv_cache {
 public:
  using format = F;
  using value_type = typename F::block;

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
    const std::size_t tile = kernels::hn::Lanes(kernels::key_tile_tag());
    const auto positions = static_cast<std::size_t>(context);
    const auto key_positions = checked_mul((positions + tile - 1) / tile, tile);
    const auto per_position =
        checked_mul(static_cast<std::size_t>(s.num_layers) * static_cast<std::size_t>(s.num_kv_heads),
                    static_cast<std::size_t>(s.head_dim) * sizeof(value_type));
    if (!key_positions || !per_position) return std::nullopt;
    const auto both = checked_add(*key_positions, positions);
    return both ? checked_mul(*both, *per_position) : std::nullopt;
  }
  std::size_t key_tile() const { return tile_; }

  // Stores head_dim values of key and value at `pos`.
  void store(std::size_t layer, std::size_t head, std::size_t pos, const float* k, const float* v) {
    value_type* tile = keys_.data() + tile_offset(layer, head, pos / tile_) + pos % tile_;
    for (std::size_t i = 0; i < head_dim_; ++i) F::quantize(k + i, tile + i * tile_, 1);
    F::quantize(v, values_.data() + value_offset(layer, head, pos), head_dim_);
  }

  // Tile t: positions [t * key_tile(), (t + 1) * key_tile()), value i of
  // position t * key_tile() + p at [i * key_tile() + p]; consecutive tiles
  // are contiguous.
  const value_type* key_tiles(std::size_t layer, std::size_t head, std::size_t t) const {
    return keys_.data() + tile_offset(layer, head, t);
  }
  const value_type* value(std::size_t layer, std::size_t head, std::size_t pos) const {
    return values_.data() + value_offset(layer, head, pos);
  }
  // The key at `pos` as head_dim floats.
  void read_key(std::size_t layer, std::size_t head, std::size_t pos, float* out) const {
    const value_type* tile = key_tiles(layer, head, pos / tile_) + pos % tile_;
    for (std::size_t i = 0; i < head_dim_; ++i) F::dequantize(tile + i * tile_, out + i, 1);
  }

 private:
  std::size_t tile_offset(std::size_t layer, std::size_t head, std::size_t t) const {
    return ((layer * kv_heads_ + head) * tiles_ + t) * tile_ * head_dim_;
  }
  std::size_t value_offset(std::size_t layer, std::size_t head, std::size_t pos) const {
    return ((layer * kv_heads_ + head) * context_ + pos) * head_dim_;
  }

  std::size_t layers_, kv_heads_, head_dim_, context_, tile_, tiles_;
  std::vector<value_type> keys_, values_;
};

}  // namespace glm4::inline GLM4_TARGET
