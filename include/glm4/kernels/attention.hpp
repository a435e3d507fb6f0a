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
//
// This is the math of one group; which thread takes which group is the
// forward pass's choice (model/transformer.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <vector>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
// after simd.hpp, which sets up Highway's static dispatch
#include <hwy/contrib/math/math-inl.h>

namespace glm4::inline GLM4_TARGET::kernels {

// The vectors attention's score kernel runs on: up to 16 floats. The KV
// cache stores keys in tiles of this many positions.
using key_tile_tag = hn::CappedTag<float, 16>;

// What attend_group reads of a KV cache (model/kv_cache.hpp): per layer and
// KV head, a range of key tiles of key_tile() positions ([head_dim][tile]
// each, consecutive tiles contiguous) and of values ([position][head_dim])
// as f32, either where they lie (reads_in_place) or converted into the
// scratch it is given.
template <class C>
concept key_value_cache = requires(const C& c, std::size_t i, float* scratch) {
  { C::reads_in_place } -> std::convertible_to<bool>;
  { c.key_tile() } -> std::convertible_to<std::size_t>;
  { c.keys(i, i, i, i, scratch) } -> std::same_as<const float*>;
  { c.values(i, i, i, i, scratch) } -> std::same_as<const float*>;
};

// Per-thread scratch of attend_group for `rows` query rows of head_dim
// values: a block of keys (in the cache's tiles) and values in f32 (when the
// cache stores another format), the scores of four rows, and each row's
// running max and sum.
struct attention_scratch {
  // Positions per step over the cache: whole key tiles, about 32, whose
  // keys and values (32 KiB in f32 at head_dim 128) stay in L1 across the
  // passes of four rows (64 positions did not: 30 % slower from L2).
  static std::size_t block_positions() {
    const std::size_t tile = hn::Lanes(key_tile_tag());
    return tile * std::max<std::size_t>(1, 32 / tile);
  }

  attention_scratch(std::size_t head_dim, std::size_t rows)
      : block(block_positions()),
        keys(block * head_dim),
        values(block * head_dim),
        scores(4 * block),
        max(rows),
        sum(rows) {}

  std::size_t block;
  std::vector<float> keys, values, scores, max, sum;
};

// Into L2, not L1: a block's keys and values fill most of L1 while it is
// read (prefetching the next block into L1 evicts them: 20 % slower from L2).
inline void prefetch_to_l2(const void* p) { __builtin_prefetch(p, 0, 2); }

namespace detail {

// The largest of x[0, n) and `init`.
inline float max_of(const float* x, std::size_t n, float init) {
  const key_tile_tag d;
  const std::size_t N = hn::Lanes(d);
  auto vmax = hn::Set(d, init);
  std::size_t j = 0;
  for (; j + N <= n; j += N) vmax = hn::Max(vmax, hn::LoadU(d, x + j));
  float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; j < n; ++j) max = std::max(max, x[j]);
  return max;
}

// exp(x) of a score less its row's max (x <= 0), or 0 where that is under
// FLT_MIN: such a weight changes no f32 sum beside the max's 1, and as a
// subnormal it costs a microcode assist in every multiply it enters on
// Intel cores (a random-weight 9B's decode at depth 1024 ran 18 % slower).
// Exp's argument is clamped so that it makes no subnormal either.
inline constexpr float smallest_normal_exponent = -87.0f;  // exp(-87) = 1.6e-38 > FLT_MIN

template <class D>
hn::Vec<D> weight_of_score(D d, hn::Vec<D> x) {
  const auto floor = hn::Set(d, smallest_normal_exponent);
  return hn::IfThenZeroElse(hn::Lt(x, floor), hn::Exp(d, hn::Max(x, floor)));
}
inline float weight_of_score(float x) { return x < smallest_normal_exponent ? 0.0f : std::exp(x); }

// scores[r * stride + j] = scale * q_r · k_j for the four rows q_r and the
// positions of `tiles` key tiles ([head_dim][tile] each, contiguous): per
// dimension one vector of keys per tile, the rows' values broadcast, two
// tiles at a time (eight FMA chains). Each key read prefetches the float
// `ahead` past it (the next block's; 0 touches the line read, a no-op).
inline void tile_scores(const float* keys, std::size_t tiles, std::size_t head_dim, const float* const q[4],
                        float scale, float* scores, std::size_t stride, std::size_t ahead) {
  const key_tile_tag d;
  const std::size_t N = hn::Lanes(d);
  const auto vscale = hn::Set(d, scale);
  std::size_t t = 0;
  for (; t + 2 <= tiles; t += 2) {
    const float* k0 = keys + t * N * head_dim;
    const float* k1 = k0 + N * head_dim;
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    auto b0 = hn::Zero(d), b1 = hn::Zero(d), b2 = hn::Zero(d), b3 = hn::Zero(d);
    for (std::size_t i = 0; i < head_dim; ++i) {
      const auto x = hn::LoadU(d, k0 + i * N), y = hn::LoadU(d, k1 + i * N);
      prefetch_to_l2(k0 + i * N + ahead), prefetch_to_l2(k1 + i * N + ahead);
      const auto q0 = hn::Set(d, q[0][i]), q1 = hn::Set(d, q[1][i]), q2 = hn::Set(d, q[2][i]), q3 = hn::Set(d, q[3][i]);
      a0 = hn::MulAdd(q0, x, a0), b0 = hn::MulAdd(q0, y, b0);
      a1 = hn::MulAdd(q1, x, a1), b1 = hn::MulAdd(q1, y, b1);
      a2 = hn::MulAdd(q2, x, a2), b2 = hn::MulAdd(q2, y, b2);
      a3 = hn::MulAdd(q3, x, a3), b3 = hn::MulAdd(q3, y, b3);
    }
    float* out = scores + t * N;
    hn::StoreU(hn::Mul(a0, vscale), d, out), hn::StoreU(hn::Mul(b0, vscale), d, out + N);
    hn::StoreU(hn::Mul(a1, vscale), d, out + stride), hn::StoreU(hn::Mul(b1, vscale), d, out + stride + N);
    hn::StoreU(hn::Mul(a2, vscale), d, out + 2 * stride), hn::StoreU(hn::Mul(b2, vscale), d, out + 2 * stride + N);
    hn::StoreU(hn::Mul(a3, vscale), d, out + 3 * stride), hn::StoreU(hn::Mul(b3, vscale), d, out + 3 * stride + N);
  }
  if (t < tiles) {
    const float* k0 = keys + t * N * head_dim;
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    for (std::size_t i = 0; i < head_dim; ++i) {
      const auto x = hn::LoadU(d, k0 + i * N);
      prefetch_to_l2(k0 + i * N + ahead);
      a0 = hn::MulAdd(hn::Set(d, q[0][i]), x, a0);
      a1 = hn::MulAdd(hn::Set(d, q[1][i]), x, a1);
      a2 = hn::MulAdd(hn::Set(d, q[2][i]), x, a2);
      a3 = hn::MulAdd(hn::Set(d, q[3][i]), x, a3);
    }
    float* out = scores + t * N;
    hn::StoreU(hn::Mul(a0, vscale), d, out);
    hn::StoreU(hn::Mul(a1, vscale), d, out + stride);
    hn::StoreU(hn::Mul(a2, vscale), d, out + 2 * stride);
    hn::StoreU(hn::Mul(a3, vscale), d, out + 3 * stride);
  }
}

// o_k[c, c + Cols * N) = o_k * rescale_k + Σ_j p_kj v_j over the same
// columns, for four rows k (the weights of row k at p + k * stride) and the
// n values from `values` (head_dim apart): each value vector loaded once
// for the four, 4 * Cols FMA chains (two columns keep both FMA ports of an
// AVX-512 core busy past the FMA latency). Only the first `rows` rows are
// stored; a missing row points at the last real one. Prefetches `ahead`
// as tile_scores does.
template <std::size_t Cols>
void add_weighted_values(const float* values, std::size_t head_dim, const float* p, std::size_t stride,
                         std::size_t n, const float rescale[4], float* const o[4], std::size_t c, std::size_t rows,
                         std::size_t ahead) {
  static_assert(Cols == 1 || Cols == 2);
  constexpr bool two = Cols == 2;
  const key_tile_tag d;
  const std::size_t N = hn::Lanes(d), c1 = two ? c + N : c;  // a* hold column c, b* column c + N
  // (named vectors, not arrays: SVE's sizeless vectors cannot be array elements)
  const auto start = [&](std::size_t k, std::size_t col) { return hn::Mul(hn::LoadU(d, o[k] + col), hn::Set(d, rescale[k])); };
  auto a0 = start(0, c), a1 = start(1, c), a2 = start(2, c), a3 = start(3, c);
  auto b0 = start(0, c1), b1 = start(1, c1), b2 = start(2, c1), b3 = start(3, c1);  // unused with one column
  for (std::size_t j = 0; j < n; ++j) {
    const float* v = values + j * head_dim;
    const auto w0 = hn::Set(d, p[j]), w1 = hn::Set(d, p[stride + j]), w2 = hn::Set(d, p[2 * stride + j]),
               w3 = hn::Set(d, p[3 * stride + j]);
    const auto x = hn::LoadU(d, v);
    prefetch_to_l2(v + ahead);
    a0 = hn::MulAdd(w0, x, a0), a1 = hn::MulAdd(w1, x, a1), a2 = hn::MulAdd(w2, x, a2), a3 = hn::MulAdd(w3, x, a3);
    if constexpr (two) {
      const auto y = hn::LoadU(d, v + N);
      prefetch_to_l2(v + N + ahead);
      b0 = hn::MulAdd(w0, y, b0), b1 = hn::MulAdd(w1, y, b1), b2 = hn::MulAdd(w2, y, b2), b3 = hn::MulAdd(w3, y, b3);
    }
  }
  // only the real rows (a missing one points at the last real row)
  hn::StoreU(a0, d, o[0] + c);
  if (rows > 1) hn::StoreU(a1, d, o[1] + c);
  if (rows > 2) hn::StoreU(a2, d, o[2] + c);
  if (rows > 3) hn::StoreU(a3, d, o[3] + c);
  if constexpr (two) {
    hn::StoreU(b0, d, o[0] + c1);
    if (rows > 1) hn::StoreU(b1, d, o[1] + c1);
    if (rows > 2) hn::StoreU(b2, d, o[2] + c1);
    if (rows > 3) hn::StoreU(b3, d, o[3] + c1);
  }
}
}  // namespace detail

// Query rows (t, g) for `tokens` consecutive tokens t and `group` heads g of
// one KV head: q + t * token_stride + g * head_dim, and the output at the
// same offsets from `out`. Token t attends to positions
// [0, max(first_length + t, shared)): causal, except that the first `shared`
// positions are seen by every token (GLM-130B's context, attended both ways;
// they must be in the cache already).
// Rows go four at a time: their scores from the key tiles, then their
// outputs from each value vector loaded once for the four.
template <key_value_cache Cache>
void attend_group(const Cache& cache, std::size_t layer, std::size_t kv_head, const float* q, float* out,
                  std::size_t token_stride, std::size_t tokens, std::size_t group, std::size_t head_dim,
                  std::size_t first_length, attention_scratch& s, std::size_t shared = 0) {
  const key_tile_tag d;
  const std::size_t N = hn::Lanes(d), tile = cache.key_tile();
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const std::size_t rows = tokens * group, length = std::max(first_length + tokens - 1, shared), B = s.block;
  const auto row_offset = [&](std::size_t r) { return r / group * token_stride + r % group * head_dim; };
  // positions row r attends to
  const auto visible = [&](std::size_t r) { return std::max(first_length + r / group, shared); };
  std::fill_n(s.max.begin(), rows, -std::numeric_limits<float>::infinity());
  std::fill_n(s.sum.begin(), rows, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) std::fill_n(out + row_offset(r), head_dim, 0.0f);

  for (std::size_t j0 = 0; j0 < length; j0 += B) {
    const std::size_t jb = std::min(B, length - j0), tiles = (jb + tile - 1) / tile;
    // the block's keys and values as f32, read from the cache once for all
    // rows. Read in place, the next block's keys and values are
    // B * head_dim floats past this one's: the kernels prefetch them (one
    // thread alone keeps too few reads in flight otherwise); a converted
    // block is read in order, which the hardware prefetches.
    const float* keys = cache.keys(layer, kv_head, j0 / tile, tiles, s.keys.data());
    const float* values = cache.values(layer, kv_head, j0, jb, s.values.data());
    const std::size_t ahead = Cache::reads_in_place ? B * head_dim : 0;
    for (std::size_t r0 = 0; r0 < rows; r0 += 4) {
      const std::size_t R = std::min<std::size_t>(4, rows - r0);
      if (visible(r0 + R - 1) <= j0) continue;  // rows are in token order: the last sees the most
      // positions of the block each row sees
      std::size_t n[4] = {};
      const float* qr[4];
      for (std::size_t k = 0; k < 4; ++k) {
        const std::size_t r = r0 + std::min(k, R - 1);  // a missing row repeats the last, unused
        n[k] = k < R ? std::min(jb, visible(r) - std::min(visible(r), j0)) : 0;
        qr[k] = q + row_offset(r);
      }
      const std::size_t n_max = n[R - 1];
      detail::tile_scores(keys, (n_max + tile - 1) / tile, head_dim, qr, scale, s.scores.data(), B, ahead);
      // p_j = exp(score - max) (0 past what the row sees), the row's sum and
      // max updated, and the factor its output so far is rescaled by
      float rescale[4] = {1.0f, 1.0f, 1.0f, 1.0f};
      for (std::size_t k = 0; k < R; ++k) {
        float* p = s.scores.data() + k * B;
        const std::size_t r = r0 + k;
        float block_max = detail::max_of(p, n[k], s.max[r]);
        rescale[k] = n[k] > 0 ? detail::weight_of_score(s.max[r] - block_max) : 1.0f;
        const auto vmax = hn::Set(d, block_max);
        auto vsum = hn::Zero(d);
        std::size_t j = 0;
        for (; j + N <= n[k]; j += N) {
          const auto e = detail::weight_of_score(d, hn::Sub(hn::LoadU(d, p + j), vmax));
          hn::StoreU(e, d, p + j);
          vsum = hn::Add(vsum, e);
        }
        float block_sum = sum_lanes(d, vsum);
        for (; j < n[k]; ++j) block_sum += p[j] = detail::weight_of_score(p[j] - block_max);
        std::fill(p + n[k], p + n_max, 0.0f);
        s.sum[r] = s.sum[r] * rescale[k] + block_sum;
        s.max[r] = block_max;
      }
      // o_k = o_k * rescale_k + Σ_j p_kj v_j, each value vector loaded once for the rows
      float* o[4];
      for (std::size_t k = 0; k < 4; ++k) o[k] = out + row_offset(r0 + std::min(k, R - 1));
      std::size_t c = 0;
      for (; c + 2 * N <= head_dim; c += 2 * N)
        detail::add_weighted_values<2>(values + c, head_dim, s.scores.data(), B, n_max, rescale, o, c, R, ahead);
      for (; c + N <= head_dim; c += N)
        detail::add_weighted_values<1>(values + c, head_dim, s.scores.data(), B, n_max, rescale, o, c, R, ahead);
      for (; c < head_dim; ++c)
        for (std::size_t k = 0; k < R; ++k) {
          float acc = o[k][c] * rescale[k];
          for (std::size_t j = 0; j < n_max; ++j) acc += s.scores[k * B + j] * values[j * head_dim + c];
          o[k][c] = acc;
        }
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    float* o = out + row_offset(r);
    const float inv = 1.0f / s.sum[r];
    for (std::size_t c = 0; c < head_dim; ++c) o[c] *= inv;
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels
