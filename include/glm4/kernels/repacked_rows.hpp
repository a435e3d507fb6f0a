// The single-threaded pieces of y = x W^T for matrices repacked into 16-row
// panels at load (quant/repacked_matrix.hpp), as matmul_rows.hpp's are for
// the file's layout; runtime/matmul.hpp splits the panels over threads.
// Fewer tokens than int8_panel_min_tokens (decode, batches, drafts) run the
// format's repacked tile; on AVX-512 VNNI more run prefill's int8 panels,
// unpacked from the repacked ones, and on AVX2 the tile too
// (q4_0/repacked_avx2.hpp says why). q4_0 repacks on both; q4_k and q8_0
// on AVX2.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/matmul_rows.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/quant/repacked_matrix.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/q4_0/repacked_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/q4_0/repacked_avx2.hpp"
#include "glm4/kernels/q4_k/repacked_avx2.hpp"
#include "glm4/kernels/q8_0/repacked_avx2.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

// A format's repacked kernels, where this target compiles them: the
// activations (act, act_values per act) and their preparation, the tile
// (tile<T, Panels>), its largest token count, decode's panels side by side
// and how many panel bytes decode prefetches ahead (about 9 KiB).
template <class F>
struct repacked_kernels {};
#if defined(GLM4_INT8_PANEL)
template <>
struct repacked_kernels<quant::q4_0> {
  using act = q4_0_kernels::repacked_act;
  static constexpr std::size_t act_values = 32, max_tokens = q4_0_kernels::repacked_max_tokens,
                               decode_panels = q4_0_kernels::repacked_decode_panels,
                               ahead = 32 * sizeof(q4_0_kernels::panel_block_q4_0);
  static void prepare(const float* x, act* a, std::size_t cols) { q4_0_kernels::prepare_repacked(x, a, cols); }
  template <std::size_t T, std::size_t Panels = 1>
  static void tile(const q4_0_kernels::panel_block_q4_0* p, std::size_t nb, const act* a, std::size_t a_stride,
                   float* out, std::size_t ahead, std::size_t panel_gap = 0) {
    if constexpr (Panels == 1)  // AVX-512 VNNI's tile takes one panel
      q4_0_kernels::repacked_tile<T>(p, nb, a, a_stride, out, ahead);
    else
      q4_0_kernels::repacked_tile<T, Panels>(p, nb, a, a_stride, out, ahead, panel_gap);
  }
};
#endif
#if defined(GLM4_QDOT_AVX2)
template <>
struct repacked_kernels<quant::q4_k> {
  using act = q4_k_kernels::repacked_act;
  static constexpr std::size_t act_values = 256, max_tokens = q4_k_kernels::repacked_max_tokens,
                               decode_panels = q4_k_kernels::repacked_decode_panels,
                               ahead = 4 * sizeof(q4_k_kernels::panel_block_q4_k);
  static void prepare(const float* x, act* a, std::size_t cols) { q4_k_kernels::prepare_repacked(x, a, cols); }
  template <std::size_t T, std::size_t Panels = 1>
  static void tile(const q4_k_kernels::panel_block_q4_k* p, std::size_t nb, const act* a, std::size_t a_stride,
                   float* out, std::size_t ahead, std::size_t panel_gap = 0) {
    q4_k_kernels::repacked_tile<T, Panels>(p, nb, a, a_stride, out, ahead, panel_gap);
  }
};
template <>
struct repacked_kernels<quant::q8_0> {
  using act = q8_act;
  static constexpr std::size_t act_values = 32, max_tokens = q8_0_kernels::repacked_max_tokens,
                               decode_panels = q8_0_kernels::repacked_decode_panels,
                               ahead = 16 * sizeof(q8_0_kernels::panel_block_q8_0);
  static void prepare(const float* x, act* a, std::size_t cols) { q8_0_kernels::prepare_repacked(x, a, cols); }
  template <std::size_t T, std::size_t Panels = 1>
  static void tile(const q8_0_kernels::panel_block_q8_0* p, std::size_t nb, const act* a, std::size_t a_stride,
                   float* out, std::size_t ahead, std::size_t panel_gap = 0) {
    q8_0_kernels::repacked_tile<T, Panels>(p, nb, a, a_stride, out, ahead, panel_gap);
  }
};
#endif

// Formats whose repacked kernels this target compiles: the file types
// (model/file_types.hpp) repack only these. q4_0's exist where prefill's
// int8 panels do (AVX-512 VNNI, whose prefill unpacks them into those, and
// AVX2), q4_k's and q8_0's on AVX2.
template <class F>
inline constexpr bool has_repacked_kernels = requires { typename repacked_kernels<F>::act; };

#if defined(GLM4_INT8_PANEL)
// Panels [p0, p1) against n tokens (on AVX-512 VNNI fewer than
// int8_panel_min_tokens) prepared by repacked_kernels<F>::prepare (a_stride
// acts apart), into y's n rows (w.rows() apart) (+ bias). Each panel meets
// its tiles of 8 (AVX-512 VNNI; AVX2's go up to 4), 4, 2 and 1 tokens while
// it is in cache; the first tile streams it, prefetching ahead. Decode
// takes decode_panels panels at once (AVX2: 2), one from each equal share
// of the range.
template <quant::repackable F>
  requires has_repacked_kernels<F>
void repacked_rows(const repacked_matrix<F>& w, const typename repacked_kernels<F>::act* a, std::size_t a_stride,
                   std::size_t n, std::size_t p0, std::size_t p1, float* y, const float* bias) {
  using K = repacked_kernels<F>;
  constexpr std::size_t ahead = K::ahead;
  const std::size_t nb = w.blocks_per_row(), rows = w.rows();
  // Returns the panels it did; what is left (fewer than Panels) goes below.
  const auto decode_side_by_side = [&]<std::size_t Panels>() -> std::size_t {
    if constexpr (Panels == 1) {
      return 0;
    } else {
      const std::size_t share = (p1 - p0) / Panels;
      for (std::size_t i = 0; i < share; ++i) {
        alignas(64) float out[Panels * panel_rows];
        K::template tile<1, Panels>(w.panel(p0 + i), nb, a, a_stride, out, ahead, share * nb);
        for (std::size_t q = 0; q < Panels; ++q) {
          const std::size_t r0 = (p0 + q * share + i) * panel_rows;
          store_panel_tile(out + q * panel_rows, 1, 0, r0, std::min(panel_rows, rows - r0), rows, y, bias);
        }
      }
      return Panels * share;
    }
  };
  if (n == 1) p0 += decode_side_by_side.template operator()<K::decode_panels>();
  for (std::size_t p = p0; p < p1; ++p) {
    const std::size_t r0 = p * panel_rows, live = std::min(panel_rows, rows - r0);
    std::size_t t0 = 0;
    const auto tiles = [&]<std::size_t T>() {
      if constexpr (T <= K::max_tokens)
        for (; t0 + T <= n; t0 += T) {
          alignas(64) float out[T * panel_rows];
          K::template tile<T>(w.panel(p), nb, a + t0 * a_stride, a_stride, out, t0 == 0 ? ahead : 0);
          store_panel_tile(out, T, t0, r0, live, rows, y, bias);
        }
    };
    tiles.template operator()<8>();
    tiles.template operator()<4>();
    tiles.template operator()<2>();
    tiles.template operator()<1>();
  }
}

#if defined(GLM4_QDOT_AVX512VNNI)
// Prefill: panel p unpacked into the int8 panel, then every token over it
// (one_panel's tiles).
inline void repacked_panel(const repacked_matrix<quant::q4_0>& w, std::size_t p, const q8_act* a, std::size_t n,
                           float* y, const float* bias) {
  const std::size_t nb = w.blocks_per_row();
  thread_local std::vector<panel_block> panel;  // per thread, grown once
  if (panel.size() < nb) panel.resize(nb);
  q4_0_kernels::unpack_repacked(w.panel(p), nb, panel.data());
  const std::size_t r0 = p * panel_rows;
  panel_tiles<panel_unpack<quant::q4_0>::max_code>(panel.data(), nb, a, n, r0, std::min(panel_rows, w.rows() - r0),
                                                   w.rows(), y, bias);
}
#endif  // GLM4_QDOT_AVX512VNNI
#endif

}  // namespace glm4::inline GLM4_TARGET::kernels
