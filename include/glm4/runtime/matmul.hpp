// y = x W^T (+ bias): n activation rows of `cols` against a weight matrix of
// `rows` x `cols` in any block format, over a thread pool. Threads split the
// weight rows, so each weight byte is read by one thread once per call;
// within a thread kernels/matmul_rows.hpp keeps a tile of rows hot while
// every activation row passes over it (prefill reuses the weights n times
// from cache, decode streams them once). P, fixed at compile time, says how
// the integer formats quantize activations (kernels/activation_precision.hpp).
//
//   glm4::matmul(w, x, n, y, pool);                                    // int8
//   glm4::matmul<glm4::kernels::int16_activations>(w, x, n, y, pool);
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "glm4/kernels/activation_precision.hpp"
#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/matmul_rows.hpp"
#include "glm4/kernels/repacked_rows.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/mixed_matrix.hpp"
#include "glm4/quant/repacked_matrix.hpp"
#include "glm4/runtime/thread_pool.hpp"

namespace glm4::inline GLM4_TARGET {

namespace detail {
// x's n rows of `cols` floats, each prepared by prepare(row, out) into
// `stride` activation blocks, rows in parallel. The buffer (one per call
// site: each passes its own lambda) only grows, so the decode path stops
// allocating after its first step.
template <class Act, class Prepare>
const Act* prepared_rows(const float* x, std::size_t n, std::size_t cols, std::size_t stride, thread_pool& pool,
                         Prepare prepare) {
  thread_local std::vector<Act> prepared;
  if (prepared.size() < n * stride) prepared.resize(n * stride);
  Act* out = prepared.data();
  pool.parallel_for(n, 1, [&](std::size_t begin, std::size_t end, std::size_t) {
    for (std::size_t i = begin; i < end; ++i) prepare(x + i * cols, out + i * stride);
  });
  return out;
}

#if defined(GLM4_INT8_PANEL)
// The panel path's activations: int8 rows (prepare_panel_row).
template <quant::block_format F>
const kernels::panel_act_for<F>* panel_activations(const float* x, std::size_t n, std::size_t cols,
                                                   thread_pool& pool) {
  return prepared_rows<kernels::panel_act_for<F>>(
      x, n, cols, cols / 32, pool, [cols](const float* row, auto* out) { kernels::prepare_panel_row(row, out, cols); });
}

// Activations to int8 once, rows in parallel; then each thread takes whole
// 16-row panels and runs the batch over them.
template <quant::block_format F>
void panel_matmul(const matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool, const float* bias) {
  const std::size_t rows = w.rows(), cols = w.cols();
  const auto* a = panel_activations<F>(x, n, cols, pool);
  const std::size_t panels = (rows + kernels::panel_rows - 1) / kernels::panel_rows;
  pool.parallel_for(panels, 1, [&](std::size_t p_begin, std::size_t p_end, std::size_t) {
    for (std::size_t p = p_begin; p < p_end; ++p) kernels::one_panel(w, p * kernels::panel_rows, a, n, y, bias);
  });
}
#endif

// Decode, and batches too small for the panels, with int8 activations: each
// token's row prepared once; each thread's chunk of 16-row tiles is one
// sequential stream that every token passes over (gemv_rows).
template <quant::block_format F>
void gemv(const matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool, const float* bias) {
  using T = kernels::dot_traits<F>;
  using act = typename T::gemv_activation;
  const std::size_t rows = w.rows(), cols = w.cols(), a_stride = cols / act::values;
  thread_local std::vector<act> prepared;
  if (prepared.size() < n * a_stride) prepared.resize(n * a_stride);
  for (std::size_t i = 0; i < n; ++i) T::gemv_prepare(x + i * cols, prepared.data() + i * a_stride, cols);
  const auto* a = prepared.data();
  constexpr std::size_t tile = 16;
  const std::size_t tiles = (rows + tile - 1) / tile;
  pool.parallel_for(tiles, std::max<std::size_t>(1, tiles / (16 * pool.size())),
                    [&](std::size_t t_begin, std::size_t t_end, std::size_t) {
                      kernels::gemv_rows(w, a, a_stride, n, t_begin * tile, std::min(rows, t_end * tile), y, bias);
                    });
}
// x's n rows in dot_traits<F>'s activation layout (x itself for the float
// formats), converted once per call.
template <quant::block_format F>
const typename kernels::dot_traits<F>::activation* prepared_activations(const float* x, std::size_t n,
                                                                        std::size_t cols, thread_pool& pool) {
  using T = kernels::dot_traits<F>;
  using act = typename T::activation;
  if constexpr (std::is_same_v<act, float>) {
    return x;
  } else {
    return prepared_rows<act>(x, n, cols, cols / T::activation_block_elems, pool,
                              [cols](const float* row, act* out) { T::prepare(row, out, cols); });
  }
}
}  // namespace detail

// x: n rows of w.cols() floats; y: n rows of w.rows() floats.
template <kernels::activation_precision P = kernels::int8_activations, quant::block_format F>
void matmul(const matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
            const float* bias = nullptr) {
  constexpr bool int8 = std::is_same_v<P, kernels::int8_activations>;
#if defined(GLM4_INT8_PANEL)
  if constexpr (int8 && kernels::has_int8_panel<F>) {
    if (n >= kernels::int8_panel_min_tokens) return detail::panel_matmul(w, x, n, y, pool, bias);
  }
#endif
  if constexpr (int8 && kernels::has_gemv<F>) {
    if (n < kernels::int8_panel_min_tokens && w.cols() % kernels::dot_traits<F>::gemv_activation::values == 0)
      return detail::gemv(w, x, n, y, pool, bias);
  }
  using T = kernels::dot_traits<F>;
  const std::size_t rows = w.rows(), cols = w.cols();
  const std::size_t a_stride = cols / T::activation_block_elems;
  const auto* a = detail::prepared_activations<F>(x, n, cols, pool);
  const auto finish = [&](std::size_t i, std::size_t r, float v) { y[i * rows + r] = v + (bias ? bias[r] : 0.0f); };
  constexpr std::size_t tile = 16;
  const std::size_t tiles = (rows + tile - 1) / tile;
  // A few chunks per thread: contiguous enough to stream, small enough that
  // a thread the OS delays does not hold up the others.
  const std::size_t grain = std::max<std::size_t>(1, tiles / (4 * pool.size()));
  pool.parallel_for(tiles, grain, [&](std::size_t t_begin, std::size_t t_end, std::size_t) {
    for (std::size_t t = t_begin; t < t_end; ++t)
      kernels::dot_rows(w, a, a_stride, t * tile, std::min(rows, t * tile + tile), n, finish);
  });
}

// A role with per-tensor formats: one branch, then the format's kernel.
template <kernels::activation_precision P = kernels::int8_activations, class... Ms>
void matmul(const mixed_matrix<Ms...>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
            const float* bias = nullptr) {
  w.visit([&](const auto& m) { matmul<P>(m, x, n, y, pool, bias); });
}

#if defined(GLM4_INT8_PANEL)
// A matrix repacked into 16-row panels (quant/repacked_matrix.hpp): threads
// take whole panels. With int8 activations, prefill on AVX-512 VNNI unpacks
// each panel into the int8 panel as the file's layout does; fewer tokens,
// and on AVX2 any number, run the repacked tile (kernels/repacked_rows.hpp),
// each token's sums as decode's, bit for bit. Int16 activations rebuild
// each panel's rows in the file's layout for the format's int16 kernels:
// slower, and only where a session asks for them.
template <kernels::activation_precision P = kernels::int8_activations, quant::repackable F>
  requires kernels::has_repacked_kernels<F>
void matmul(const repacked_matrix<F>& w, const float* x, std::size_t n, float* y, thread_pool& pool,
            const float* bias = nullptr) {
  const std::size_t rows = w.rows(), cols = w.cols(), nb = w.blocks_per_row(), panels = w.panels();
  if constexpr (std::is_same_v<P, kernels::int8_activations>) {
#if defined(GLM4_QDOT_AVX512VNNI)
    if (n >= kernels::int8_panel_min_tokens) {
      const auto* a = detail::panel_activations<F>(x, n, cols, pool);
      pool.parallel_for(panels, 1, [&](std::size_t p_begin, std::size_t p_end, std::size_t) {
        for (std::size_t p = p_begin; p < p_end; ++p) kernels::repacked_panel(w, p, a, n, y, bias);
      });
      return;
    }
#endif
    using K = kernels::repacked_kernels<F>;
    const std::size_t a_stride = cols / K::act_values;
    const auto* a = detail::prepared_rows<typename K::act>(
        x, n, cols, a_stride, pool, [cols](const float* row, typename K::act* out) { K::prepare(row, out, cols); });
    // One contiguous range of panels per thread: each one sequential stream.
    pool.parallel_for(panels, [&](std::size_t p_begin, std::size_t p_end, std::size_t) {
      kernels::repacked_rows(w, a, a_stride, n, p_begin, p_end, y, bias);
    });
  } else {
    using T = kernels::dot_traits<F>;
    const std::size_t a_stride = cols / T::activation_block_elems;
    const auto* a = detail::prepared_activations<F>(x, n, cols, pool);
    pool.parallel_for(panels, 1, [&](std::size_t p_begin, std::size_t p_end, std::size_t) {
      constexpr std::size_t panel_rows = repacked_matrix<F>::panel_rows;
      thread_local std::vector<typename F::block> rebuilt;
      if (rebuilt.size() < panel_rows * nb) rebuilt.resize(panel_rows * nb);
      for (std::size_t p = p_begin; p < p_end; ++p) {
        const std::size_t r0 = p * panel_rows, live = std::min(panel_rows, rows - r0);
        for (std::size_t r = 0; r < live; ++r) w.row(r0 + r, rebuilt.data() + r * nb);
        const auto finish = [&](std::size_t i, std::size_t r, float v) {
          y[i * rows + r0 + r] = v + (bias ? bias[r0 + r] : 0.0f);
        };
        kernels::dot_rows(matrix<F>(rebuilt.data(), live, cols, nullptr), a, a_stride, 0, live, n, finish);
      }
    });
  }
}
#endif

}  // namespace glm4::inline GLM4_TARGET
