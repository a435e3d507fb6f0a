// Causal grouped-query attention over the cache: query head h reads
// key/value head h / group_size (transformers' repeat_kv), scores are
// q·k / sqrt(head_dim), softmax in f32, output Σ p_j v_j.
//
// All the query rows that share a key/value head (the heads of its group,
// for one or several consecutive tokens) go through its keys and values
// together, one block of positions at a time, so the cache is streamed once
// per step and group rather than once per query head (GLM-4-9B-0414: 16
// heads to a KV head; at 8K positions its keys and values are 8 MiB per head
// and layer). Each row keeps a running max and sum of its exponentials
// (flash attention's online softmax) and rescales its output when the max
// grows, so no row needs scores for more than one block.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "glm4/kernels/dot_f32.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/model/kv_cache.hpp"
#include <hwy/contrib/math/math-inl.h>

namespace glm4 {

// Per-thread scratch of attend_group for `rows` query rows of head_dim
// values: a block of keys and values in f32 (when the cache stores another
// format), one row's scores, and each row's running max and sum.
struct attention_scratch {
  static constexpr std::size_t block = 64;  // positions per step over the cache

  attention_scratch(std::size_t head_dim, std::size_t rows)
      : keys(block * head_dim), values(block * head_dim), scores(block), max(rows), sum(rows) {}

  std::vector<float> keys, values, scores, max, sum;
};

// Query rows (t, g) for `tokens` consecutive tokens t and `group` heads g of
// one KV head: q + t * token_stride + g * head_dim, and the output at the
// same offsets from `out`. Token t attends to positions [0, first_length + t).
template <kv_format F>
void attend_group(const kv_cache<F>& cache, std::size_t layer, std::size_t kv_head, const float* q, float* out,
                  std::size_t token_stride, std::size_t tokens, std::size_t group, std::size_t head_dim,
                  std::size_t first_length, attention_scratch& s) {
  namespace hn = kernels::hn;
  const kernels::float_tag d;
  const std::size_t N = hn::Lanes(d);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const std::size_t rows = tokens * group, length = first_length + tokens - 1;
  const auto row_offset = [&](std::size_t r) { return r / group * token_stride + r % group * head_dim; };
  std::fill_n(s.max.begin(), rows, -std::numeric_limits<float>::infinity());
  std::fill_n(s.sum.begin(), rows, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) std::fill_n(out + row_offset(r), head_dim, 0.0f);

  for (std::size_t j0 = 0; j0 < length; j0 += attention_scratch::block) {
    const std::size_t jb = std::min(attention_scratch::block, length - j0);
    // the block's keys and values as f32, read from the cache once for all rows
    const float *keys, *values;
    if constexpr (std::is_same_v<F, quant::f32>) {
      keys = cache.key(layer, kv_head, j0);
      values = cache.value(layer, kv_head, j0);
    } else {
      F::dequantize(cache.key(layer, kv_head, j0), s.keys.data(), jb * head_dim);
      F::dequantize(cache.value(layer, kv_head, j0), s.values.data(), jb * head_dim);
      keys = s.keys.data();
      values = s.values.data();
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t visible = first_length + r / group;  // positions this row attends to
      if (visible <= j0) continue;
      const std::size_t n = std::min(jb, visible - j0);
      const float* qr = q + row_offset(r);
      float* o = out + row_offset(r);
      float block_max = s.max[r];
      for (std::size_t j = 0; j < n; ++j) {
        s.scores[j] = kernels::dot_f32(keys + j * head_dim, qr, head_dim) * scale;
        block_max = std::max(block_max, s.scores[j]);
      }
      // p_j = exp(score - max), and what the row has summed so far rescaled to the new max
      const float rescale = std::exp(s.max[r] - block_max);
      const auto vmax = hn::Set(d, block_max);
      auto vsum = hn::Zero(d);
      std::size_t j = 0;
      for (; j + N <= n; j += N) {
        const auto p = hn::Exp(d, hn::Sub(hn::LoadU(d, s.scores.data() + j), vmax));
        hn::StoreU(p, d, s.scores.data() + j);
        vsum = hn::Add(vsum, p);
      }
      float block_sum = kernels::sum_lanes(d, vsum);
      for (; j < n; ++j) block_sum += s.scores[j] = std::exp(s.scores[j] - block_max);
      s.sum[r] = s.sum[r] * rescale + block_sum;
      s.max[r] = block_max;
      // o = o * rescale + Σ_j p_j v_j, N columns at a time over the block
      std::size_t c = 0;
      for (; c + N <= head_dim; c += N) {
        auto acc = hn::Mul(hn::LoadU(d, o + c), hn::Set(d, rescale));
        for (std::size_t j = 0; j < n; ++j)
          acc = hn::MulAdd(hn::Set(d, s.scores[j]), hn::LoadU(d, values + j * head_dim + c), acc);
        hn::StoreU(acc, d, o + c);
      }
      for (; c < head_dim; ++c) {
        float acc = o[c] * rescale;
        for (std::size_t j = 0; j < n; ++j) acc += s.scores[j] * values[j * head_dim + c];
        o[c] = acc;
      }
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    float* o = out + row_offset(r);
    const float inv = 1.0f / s.sum[r];
    for (std::size_t c = 0; c < head_dim; ++c) o[c] *= inv;
  }
}

}  // namespace glm4
