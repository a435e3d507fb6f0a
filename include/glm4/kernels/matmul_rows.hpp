// The single-threaded pieces of y = x W^T (+ bias): each computes a given
// range of weight rows of y for all n activation rows, on the caller's
// thread. runtime/matmul.hpp splits a matrix's rows over threads and calls
// these. The integer formats take one of three paths:
//   one_panel   int8_panel.hpp's 16-row panels (int8, n >= int8_panel_min_tokens)
//   gemv_rows   the format's gemv_dot, or its gemv_tile for several tokens
//               (int8, n < int8_panel_min_tokens)
//   dot_rows    dot_traits' int16 tiles and dots (otherwise, and int16)
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/matrix.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Formats whose kernel computes a tile of R weight rows x T activation rows
// in one pass, so each weight block is unpacked once for T tokens and each
// activation block loaded once for R rows:
//   dot_tile<R, T>(w, w_stride, a, a_stride, n, out): out[t * R + r] is
//   row (w + r * w_stride) against activations (a + t * a_stride), n values.
// dot_rows uses 4 x 4 tiles, then 4 x 1, when they exist.
// Formats with a one-token int8 kernel over their own activation layout:
//   gemv_prepare(x, a, n); gemv_dot<R>(w, w_stride, a, n, out) for R = 1, 2
//   rows; n a multiple of gemv_activation::values (one activation group).
// and, where they have it, its tile for a few tokens: gemv_partial (one
//   token's running sum), gemv_tile<T>(w, a, a_stride, c0, c1, acc, ahead)
//   for T = 1, 2, 4, 8 adds values [c0, c1) (multiples of the activation
//   group) of row w against tokens t < T (a + t * a_stride) into acc[t],
//   prefetching the bytes `ahead` bytes past the ones it reads (0: none);
//   gemv_partial_sum(acc[t]) after the whole row is gemv_dot's, bit for bit.
template <class F>
concept has_gemv = requires(const typename F::block* w, const typename dot_traits<F>::gemv_activation* a,
                            const float* x, typename dot_traits<F>::gemv_activation* prepared, float* out) {
  dot_traits<F>::gemv_prepare(x, prepared, std::size_t{});
  dot_traits<F>::template gemv_dot<2>(w, std::size_t{}, a, std::size_t{}, out);
};

template <class F>
concept has_gemv_tile =
    has_gemv<F> && requires(const typename F::block* w, const typename dot_traits<F>::gemv_activation* a,
                            typename dot_traits<F>::gemv_partial* acc) {
      dot_traits<F>::template gemv_tile<8>(w, a, std::size_t{}, std::size_t{}, std::size_t{}, acc, std::size_t{});
      { dot_traits<F>::gemv_partial_sum(*acc) } -> std::same_as<float>;
    };

// and, where it has it, the tile of two rows (w_stride blocks apart) at once,
//   gemv_tile_pair<T>(w, w_stride, a, a_stride, c0, c1, acc, ahead), acc[t]
//   the first row's and acc[T + t] the second's, each as gemv_tile's.
template <class F>
concept has_gemv_tile_pair =
    has_gemv_tile<F> && requires(const typename F::block* w, const typename dot_traits<F>::gemv_activation* a,
                                 typename dot_traits<F>::gemv_partial* acc) {
      dot_traits<F>::template gemv_tile_pair<8>(w, std::size_t{}, a, std::size_t{}, std::size_t{}, std::size_t{}, acc,
                                                std::size_t{});
    };

template <class F, std::size_t R, std::size_t T>
concept has_dot_tile =
    requires(const typename F::block* w, const typename dot_traits<F>::activation* a, std::size_t k, float* out) {
      dot_traits<F>::template dot_tile<R, T>(w, k, a, k, k, out);
    };

namespace detail {
// Activation rows [i, ...) in groups of T against weight rows [r0, r1) in
// groups of R (leftover rows one by one); advances i past the groups done.
template <std::size_t R, std::size_t T, quant::block_format F, class Act, class Finish>
void tile_pass(const matrix<F>& w, const Act* a, std::size_t a_stride, std::size_t r0, std::size_t r1,
               std::size_t& i, std::size_t n, Finish& finish) {
  using traits = dot_traits<F>;
  for (; i + T <= n; i += T) {
    std::size_t r = r0;
    for (; r + R <= r1; r += R) {
      float out[R * T];
      traits::template dot_tile<R, T>(w.row(r), w.blocks_per_row(), a + i * a_stride, a_stride, w.cols(), out);
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t k = 0; k < R; ++k) finish(i + t, r + k, out[t * R + k]);
    }
    for (; r < r1; ++r)
      for (std::size_t t = 0; t < T; ++t) finish(i + t, r, traits::dot(w.row(r), a + (i + t) * a_stride, w.cols()));
  }
}
}  // namespace detail

// Weight rows [r0, r1) against n activation rows prepared by
// dot_traits<F>::prepare (a_stride activations apart; the float formats take
// x as it is); finish(i, r, value) receives every y[i][r]. Within a range
// the rows are kept hot while every activation row passes over them.
template <quant::block_format F, class Finish>
void dot_rows(const matrix<F>& w, const typename dot_traits<F>::activation* a, std::size_t a_stride, std::size_t r0,
              std::size_t r1, std::size_t n, Finish& finish) {
  std::size_t i = 0;
  if constexpr (has_dot_tile<F, 4, 4>) detail::tile_pass<4, 4>(w, a, a_stride, r0, r1, i, n, finish);
  if constexpr (has_dot_tile<F, 4, 1>) detail::tile_pass<4, 1>(w, a, a_stride, r0, r1, i, n, finish);
  for (; i < n; ++i)
    for (std::size_t r = r0; r < r1; ++r) finish(i, r, dot_traits<F>::dot(w.row(r), a + i * a_stride, w.cols()));
}

namespace detail {
// gemv_rows' two ways, into y's n rows (w.rows() apart), columns [r0, r1).
// Two rows at a time, each pair meeting every token while it is in L1.
template <quant::block_format F>
void gemv_row_pairs(const matrix<F>& w, const typename dot_traits<F>::gemv_activation* a, std::size_t a_stride,
                    std::size_t n, std::size_t r0, std::size_t r1, float* y) {
  using T = dot_traits<F>;
  const std::size_t cols = w.cols(), rows = w.rows();
  std::size_t r = r0;
  for (; r + 2 <= r1; r += 2)
    for (std::size_t t = 0; t < n; ++t)
      T::template gemv_dot<2>(w.row(r), w.blocks_per_row(), a + t * a_stride, cols, y + t * rows + r);
  if (r < r1)
    for (std::size_t t = 0; t < n; ++t) T::template gemv_dot<1>(w.row(r), 0, a + t * a_stride, cols, y + t * rows + r);
}

// The bytes of activations the small batches' tile keeps in L1 while a
// weight stream passes through it: two thirds of the L1 data cache where
// the C library tells its size, else 16 KiB. On Sapphire Rapids (48 KiB),
// 32 KiB against 16 took a pass of 4 tokens over the 9B's 4096 x 4096
// q4_0 matrices 11 % faster (a 4096-column row in one chunk).
inline std::size_t l1_activation_bytes() {
  static const std::size_t bytes = [] {
    long l1 = 0;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    l1 = ::sysconf(_SC_LEVEL1_DCACHE_SIZE);
#endif
    return std::max<std::size_t>(16384, l1 > 0 ? static_cast<std::size_t>(l1) * 2 / 3 : 0);
  }();
  return bytes;
}

// Rows [g, g + live) two at a time through F's pair tile where it has one
// (8 tokens); returns the rows done. A template of its own so that a format
// without the tile never names it: clang looks dot_traits<F>'s members up
// when gemv_row_tiles<F> is instantiated, before the discarded branch.
template <std::size_t Tokens, quant::block_format F, class Ahead>
std::size_t gemv_tile_pairs(const matrix<F>& w, std::size_t g, std::size_t live,
                            const typename dot_traits<F>::gemv_activation* a, std::size_t a_stride, std::size_t c0,
                            std::size_t c1, typename dot_traits<F>::gemv_partial* acc, Ahead ahead) {
  std::size_t r = 0;
  if constexpr (Tokens == 8 && has_gemv_tile_pair<F>)
    for (; r + 2 <= live; r += 2)
      dot_traits<F>::template gemv_tile_pair<Tokens>(w.row(g + r), w.blocks_per_row(), a, a_stride, c0, c1,
                                                     acc + r * Tokens, ahead(r));
  return r;
}

// Rows in groups of 16 and tokens in tiles of 8 (then 4, 2, 1), each row
// unpacked once per tile; the rows go chunk by chunk, so each chunk of the
// tile's activations (l1_activation_bytes at most) stays in L1 while the
// group's rows pass over it. The first tile prefetches into L2 what each
// row's next visit reads, 16 row chunks later, about decode's distance: the
// row's next chunk, or after its last the next group's row. A row's chunks
// differ by at most one activation group, so each prefetch covers all of
// the next visit but at most that group. Rows of one chunk are one
// sequential stream, which it prefetches 4 rows ahead, as decode does: 16
// rows ahead, 4 tokens over 4096-column q4_0 rows took 5-10 % longer (the
// first 16 rows of each 128-row range a thread takes came unprefetched).
// Tiles of 8 tokens take two rows at a time where the format has that tile
// (has_gemv_tile_pair), which loads each token's activations once for both.
template <quant::block_format F>
void gemv_row_tiles(const matrix<F>& w, const typename dot_traits<F>::gemv_activation* a, std::size_t a_stride,
                    std::size_t n, std::size_t r0, std::size_t r1, float* y) {
  using T = dot_traits<F>;
  using act = typename T::gemv_activation;
  constexpr std::size_t group_rows = 16;
  const std::size_t l1_bytes = l1_activation_bytes();
  const std::size_t cols = w.cols(), rows = w.rows(), groups = cols / act::values;
  const std::size_t row_bytes = w.blocks_per_row() * sizeof(typename F::block);
  const auto bytes_of = [](std::size_t values) { return values / F::block_elems * sizeof(typename F::block); };
  for (std::size_t g = r0; g < r1; g += group_rows) {
    const std::size_t live = std::min(group_rows, r1 - g);
    std::size_t t0 = 0;
    const auto tiles = [&]<std::size_t Tokens>() {
      const std::size_t most = std::max<std::size_t>(1, l1_bytes / (Tokens * sizeof(act)));
      const std::size_t chunks = (groups + most - 1) / most;
      for (; t0 + Tokens <= n; t0 += Tokens) {
        typename T::gemv_partial acc[group_rows * Tokens]{};  // row r's token t at r * Tokens + t
        for (std::size_t k = 0, c0 = 0; k < chunks; ++k) {
          const std::size_t c1 = groups * (k + 1) / chunks * act::values;
          const auto ahead = [&](std::size_t r) -> std::size_t {
            return t0 != 0                     ? 0
                   : chunks == 1               ? 4 * row_bytes
                   : c1 < cols                 ? bytes_of(c1 - c0)
                   : g + group_rows + r < rows ? group_rows * row_bytes - bytes_of(c0)
                                               : 0;
          };
          std::size_t r = gemv_tile_pairs<Tokens>(w, g, live, a + t0 * a_stride, a_stride, c0, c1, acc, ahead);
          for (; r < live; ++r)
            T::template gemv_tile<Tokens>(w.row(g + r), a + t0 * a_stride, a_stride, c0, c1, acc + r * Tokens, ahead(r));
          c0 = c1;
        }
        for (std::size_t r = 0; r < live; ++r)
          for (std::size_t t = 0; t < Tokens; ++t) y[(t0 + t) * rows + g + r] = T::gemv_partial_sum(acc[r * Tokens + t]);
      }
    };
    tiles.template operator()<8>();
    tiles.template operator()<4>();
    tiles.template operator()<2>();
    tiles.template operator()<1>();
  }
}
}  // namespace detail

// Int8 activations, one token or a few (speculative decoding's drafts,
// batched decode): weight rows [r0, r1) against n activation rows prepared
// by gemv_prepare (a_stride groups apart), in order (one sequential stream);
// into y's n rows (w.rows() apart), columns [r0, r1) (+ bias). Several
// tokens take the format's tile where it has one. Every token's values are
// computed as for n == 1, bit for bit: a batch's logits equal decode's.
template <quant::block_format F>
  requires has_gemv<F>
void gemv_rows(const matrix<F>& w, const typename dot_traits<F>::gemv_activation* a, std::size_t a_stride,
               std::size_t n, std::size_t r0, std::size_t r1, float* y, const float* bias) {
  if constexpr (has_gemv_tile<F>) {
    if (n > 1)
      detail::gemv_row_tiles(w, a, a_stride, n, r0, r1, y);
    else
      detail::gemv_row_pairs(w, a, a_stride, n, r0, r1, y);
  } else {
    detail::gemv_row_pairs(w, a, a_stride, n, r0, r1, y);
  }
  if (bias)
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t r = r0; r < r1; ++r) y[t * w.rows() + r] += bias[r];
}

#if defined(GLM4_INT8_PANEL)
// The panel path's activations: one row of `cols` floats to q8 blocks (with
// the sums the format's panel wants: panel_act_for).
template <class Act>
void prepare_panel_row(const float* x, Act* a, std::size_t cols) {
  for (std::size_t b = 0; b < cols / 32; ++b) qdetail::quantize_q8(x + 32 * b, a[b]);
}

// A 16-row tile's results for T tokens (out[t * 16 + r]) into y's rows t0
// .. t0 + T, columns [r0, r0 + live) (+ bias); y has `rows` columns.
inline void store_panel_tile(const float* out, std::size_t T, std::size_t t0, std::size_t r0, std::size_t live,
                             std::size_t rows, float* y, const float* bias) {
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < live; ++r)
      y[(t0 + t) * rows + r0 + r] = out[t * panel_rows + r] + (bias ? bias[r0 + r] : 0.0f);
}

// The n activation rows (prepared by prepare_panel_row, nb blocks apart)
// over an unpacked 16-row panel, in tiles of the target's panel_tile_tokens
// (then 4 and 1 for the rest), into y's columns [r0, r0 + live) (+ bias);
// y has `rows` columns.
template <unsigned MaxCode, std::size_t Groups>
void panel_tiles(const panel_block_of<Groups>* panel, std::size_t nb, const panel_act<Groups>* a, std::size_t n,
                 std::size_t r0, std::size_t live, std::size_t rows, float* y, const float* bias) {
  const auto run = [&]<std::size_t T>(std::size_t t0) {
    alignas(64) float out[T * panel_rows];
    qdetail::panel_tile<T, MaxCode>(panel, nb, a + t0 * nb, nb, out);
    store_panel_tile(out, T, t0, r0, live, rows, y, bias);
  };
  std::size_t t = 0;
  constexpr std::size_t tokens = qdetail::panel_tile_tokens;
  for (; t + tokens <= n; t += tokens) run.template operator()<tokens>(t);
  if constexpr (tokens > 4)
    for (; t + 4 <= n; t += 4) run.template operator()<4>(t);
  for (; t < n; ++t) run.template operator()<1>(t);
}

// The panel path: unpacks the 16-row panel starting at weight row r0 and runs
// the n activation rows over it (panel_tiles).
template <quant::block_format F>
  requires has_int8_panel<F>
void one_panel(const matrix<F>& w, std::size_t r0, const panel_act_for<F>* a, std::size_t n, float* y,
               const float* bias) {
  const std::size_t nb = w.cols() / 32;
  // Per thread, grown once.
  thread_local std::vector<panel_block_for<F>> panel;
  if (panel.size() < nb) panel.resize(nb);
  const std::size_t live = std::min(panel_rows, w.rows() - r0);
  qdetail::unpack_panel(w, r0, live, panel.data());
  panel_tiles<panel_unpack<F>::max_code>(panel.data(), nb, a, n, r0, live, w.rows(), y, bias);
}
#endif

}  // namespace glm4::inline GLM4_TARGET::kernels
