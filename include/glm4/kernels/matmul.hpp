// y = x W^T (+ bias): n activation rows of `cols` against a weight matrix of
// `rows` x `cols` in any block format. Threads split the weight rows, so each
// weight byte is read by one thread once per call; within a thread a tile of
// rows is kept hot while every activation row passes over it (prefill reuses
// the weights n times from cache, decode streams them once). The integer
// formats take one of three paths:
//   n >= int8_panel_min_tokens, int8   int8_panel.hpp's 16-row panels
//   n == 1, int8                       the format's gemv_dot (dot_q*.hpp)
//   otherwise (and int16)              dot_traits' int16 tiles and dots
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "glm4/core/matrix.hpp"
#include "glm4/core/mixed_matrix.hpp"
#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/runtime/thread_pool.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// Formats whose kernel computes a tile of R weight rows x T activation rows
// in one pass, so each weight block is unpacked once for T tokens and each
// activation block loaded once for R rows:
//   dot_tile<R, T>(w, w_stride, a, a_stride, n, out): out[t * R + r] is
//   row (w + r * w_stride) against activations (a + t * a_stride), n values.
// matmul uses 4 x 1 tiles for decode and 4 x 4 for prefill when they exist.
// Formats with a one-token int8 kernel over their own activation layout:
//   gemv_prepare(x, a, n); gemv_dot<R>(w, w_stride, a, n, out) for R = 1, 2
//   rows; n a multiple of gemv_activation::values (one activation group).
template <class F>
concept has_gemv = requires(const typename F::block* w, const typename dot_traits<F>::gemv_activation* a,
                            const float* x, typename dot_traits<F>::gemv_activation* prepared, float* out) {
  dot_traits<F>::gemv_prepare(x, prepared, std::size_t{});
  dot_traits<F>::template gemv_dot<2>(w, std::size_t{}, a, std::size_t{}, out);
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

#if defined(GLM4_QDOT_AVX512VNNI)
// The panel path (int8_panel.hpp): activations to int8 once, then each
// thread unpacks a 16-row panel and runs the whole batch over it in tiles
// of 12 tokens (4 and 1 for the rest).
template <quant::block_format F>
void panel_matmul(const matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
                  const float* bias) {
  const std::size_t rows = w.rows(), cols = w.cols(), nb = cols / 32;
  thread_local std::vector<q8_act> prepared;
  if (prepared.size() < n * nb) prepared.resize(n * nb);
  q8_act* a = prepared.data();
  pool.parallel_for(n, 1, [&](std::size_t begin, std::size_t end, std::size_t) {
    for (std::size_t i = begin; i < end; ++i)
      for (std::size_t b = 0; b < nb; ++b) qdetail::quantize_q8(x + i * cols + 32 * b, a[i * nb + b]);
  });
  const std::size_t panels = (rows + panel_rows - 1) / panel_rows;
  pool.parallel_for(panels, 1, [&](std::size_t p_begin, std::size_t p_end, std::size_t) {
    // Per thread, grown once: the panel and one row's unpacked values.
    thread_local std::vector<panel_block> panel;
    thread_local std::vector<std::uint8_t> row_u;
    thread_local std::vector<float> row_consts;
    if (panel.size() < nb) {
      panel.resize(nb);
      row_u.resize(32 * nb);
      row_consts.resize(2 * nb);
    }
    for (std::size_t p = p_begin; p < p_end; ++p) {
      const std::size_t r0 = p * panel_rows, live = std::min(panel_rows, rows - r0);
      qdetail::unpack_panel(w, r0, live, panel.data(), row_u.data(), row_consts.data(), row_consts.data() + nb);
      const auto run = [&]<std::size_t T>(std::size_t t0) {
        alignas(64) float out[T * panel_rows];
        qdetail::panel_tile<T>(panel.data(), nb, a + t0 * nb, nb, out);
        for (std::size_t t = 0; t < T; ++t)
          for (std::size_t r = 0; r < live; ++r)
            y[(t0 + t) * rows + r0 + r] = out[t * panel_rows + r] + (bias ? bias[r0 + r] : 0.0f);
      };
      std::size_t t = 0;
      for (; t + 12 <= n; t += 12) run.template operator()<12>(t);
      for (; t + 4 <= n; t += 4) run.template operator()<4>(t);
      for (; t < n; ++t) run.template operator()<1>(t);
    }
  });
}
#endif

// Decode with int8 activations: one activation row, prepared once, weight
// rows two at a time in order (each thread's chunk one sequential stream).
template <quant::block_format F>
void gemv(const matrix<F>& w, const float* x, float* y, thread_pool& pool, const float* bias) {
  using T = dot_traits<F>;
  const std::size_t rows = w.rows(), cols = w.cols();
  using act = typename T::gemv_activation;
  thread_local std::vector<act> prepared;
  if (prepared.size() < cols / act::values) prepared.resize(cols / act::values);
  T::gemv_prepare(x, prepared.data(), cols);
  const auto* a = prepared.data();
  constexpr std::size_t tile = 16;
  const std::size_t tiles = (rows + tile - 1) / tile;
  pool.parallel_for(tiles, std::max<std::size_t>(1, tiles / (16 * pool.size())),
                    [&](std::size_t t_begin, std::size_t t_end, std::size_t) {
                      std::size_t r = t_begin * tile;
                      const std::size_t r1 = std::min(rows, t_end * tile);
                      for (; r + 2 <= r1; r += 2) T::template gemv_dot<2>(w.row(r), w.blocks_per_row(), a, cols, y + r);
                      if (r < r1) T::template gemv_dot<1>(w.row(r), 0, a, cols, y + r);
                      if (bias)
                        for (r = t_begin * tile; r < r1; ++r) y[r] += bias[r];
                    });
}
}  // namespace detail

// How matmul quantizes activations for the integer formats:
enum class activation_precision {
  int8,   // activation_q8.hpp (ggml's q8_0 rounding, what llama.cpp computes):
          // batches of >= int8_panel_min_tokens tokens take int8_panel.hpp,
          // one token a format's gemv_dot where it has one; twice the
          // multiply-adds per instruction of int16
  int16,  // activation_q16.hpp and dot_q*.hpp's kernels: 1/258 of the rounding
};

// x: n rows of w.cols() floats; y: n rows of w.rows() floats.
template <quant::block_format F>
void matmul(const matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
            const float* bias = nullptr, activation_precision precision = activation_precision::int8) {
#if defined(GLM4_QDOT_AVX512VNNI)
  if constexpr (has_int8_panel<F>) {
    if (n >= int8_panel_min_tokens && precision == activation_precision::int8)
      return detail::panel_matmul(w, x, n, y, pool, bias);
  }
#endif
  if constexpr (has_gemv<F>) {
    if (n == 1 && w.cols() % dot_traits<F>::gemv_activation::values == 0 && precision == activation_precision::int8)
      return detail::gemv(w, x, y, pool, bias);
  }
  using T = dot_traits<F>;
  using act = typename T::activation;
  const std::size_t rows = w.rows(), cols = w.cols();
  const std::size_t a_stride = cols / T::activation_block_elems;
  const act* a;
  if constexpr (std::is_same_v<act, float>) {
    a = x;
  } else {
    // Activations are converted once per call, rows in parallel; the buffer
    // only grows, so the decode path stops allocating after its first step.
    thread_local std::vector<act> prepared;
    if (prepared.size() < n * a_stride) prepared.resize(n * a_stride);
    act* out = prepared.data();
    pool.parallel_for(n, 1, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t i = begin; i < end; ++i) T::prepare(x + i * cols, out + i * a_stride, cols);
    });
    a = out;
  }
  const auto finish = [&](std::size_t i, std::size_t r, float v) { y[i * rows + r] = v + (bias ? bias[r] : 0.0f); };
  constexpr std::size_t tile = 16;
  const std::size_t tiles = (rows + tile - 1) / tile;
  // A few chunks per thread: contiguous enough to stream, small enough that
  // a thread the OS delays does not hold up the others.
  const std::size_t grain = std::max<std::size_t>(1, tiles / (4 * pool.size()));
  pool.parallel_for(tiles, grain, [&](std::size_t t_begin, std::size_t t_end, std::size_t) {
    for (std::size_t t = t_begin; t < t_end; ++t) {
      const std::size_t r0 = t * tile, r1 = std::min(rows, r0 + tile);
      std::size_t i = 0;
      if constexpr (has_dot_tile<F, 4, 4>) detail::tile_pass<4, 4>(w, a, a_stride, r0, r1, i, n, finish);
      if constexpr (has_dot_tile<F, 4, 1>) detail::tile_pass<4, 1>(w, a, a_stride, r0, r1, i, n, finish);
      for (; i < n; ++i)
        for (std::size_t r = r0; r < r1; ++r) finish(i, r, T::dot(w.row(r), a + i * a_stride, cols));
    }
  });
}

// A role with per-tensor formats: one branch, then the format's kernel.
template <quant::block_format... Fs>
void matmul(const mixed_matrix<Fs...>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
            const float* bias = nullptr, activation_precision precision = activation_precision::int8) {
  w.visit([&](const auto& m) { matmul(m, x, n, y, pool, bias, precision); });
}

}  // namespace glm4::inline GLM4_TARGET::kernels
