// Whole 16-row prefill panels (int8_panel.hpp) of any format on x86
// (GLM4_INT8_PANEL): the panel unpack_panel's row path writes, with its
// stores transposed in registers. The row path stores each row's values four
// bytes at a time into the panel's 16-row columns (64 scalar stores per
// row and 256 values); here the 16 rows are unpacked by panel_unpack<F>
// into a row-major buffer in L1, 8 blocks of 32 at a time, and each block's
// 16 x 32 codes, and the 16 x 8 scales and offsets, go to the panel through
// the family's store_columns_16x8 (x86/dword_transpose_avx512.hpp,
// x86/dword_transpose_avx2.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/matrix.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/x86/dword_transpose_avx512.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/x86/dword_transpose_avx2.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct whole_panel_unpack {
  static constexpr std::size_t chunk = 8, groups = panel_unpack<F>::groups;

  // Rows [r0, r0 + 16) of w into p[0, w.cols() / 32).
  static void unpack(const matrix<F>& w, std::size_t r0, panel_block_for<F>* p) {
    static_assert(chunk * 32 % F::block_elems == 0);
    const std::size_t nb = w.cols() / 32;
    alignas(64) std::uint8_t u[panel_rows][chunk * 32];
    // per row as panel_unpack writes them: group g of block b at groups * b + g
    // (zero past a last chunk of fewer blocks, which is transposed too)
    alignas(64) float scale[panel_rows][chunk * groups] = {}, offset[panel_rows][chunk * groups] = {};
    for (std::size_t b0 = 0; b0 < nb; b0 += chunk) {
      const std::size_t m = std::min(chunk, nb - b0);
      for (std::size_t r = 0; r < panel_rows; ++r)
        panel_unpack<F>::unpack(w.row(r0 + r) + b0 * 32 / F::block_elems, m, u[r], scale[r], offset[r]);
      for (std::size_t b = 0; b < m; ++b) {
        std::uint8_t* columns[8];
        for (std::size_t c = 0; c < 8; ++c) columns[c] = p[b0 + b].u[c][0];
        qdetail::store_columns_16x8(u[0] + 32 * b, sizeof u[0], columns);
      }
      store_constants(scale, &panel_block_for<F>::scale, p + b0, m);
      store_constants(offset, &panel_block_for<F>::offset, p + b0, m);
    }
  }

 private:
  // The scales or offsets of blocks [0, m) into that field of p[0, m): floats
  // 8 h + k of every row (k < 8) are group (8 h + k) % groups of block
  // (8 h + k) / groups; those of blocks past m go to a discarded column.
  template <class Field>
  static void store_constants(const float (&rows)[panel_rows][chunk * groups], Field field, panel_block_for<F>* p,
                              std::size_t m) {
    alignas(64) float discard[panel_rows];
    for (std::size_t h = 0; h < groups; ++h) {
      std::uint8_t* columns[8];
      for (std::size_t k = 0; k < 8; ++k) {
        const std::size_t i = 8 * h + k;
        float* column = i / groups < m ? (p[i / groups].*field)[i % groups] : discard;
        columns[k] = reinterpret_cast<std::uint8_t*>(column);
      }
      qdetail::store_columns_16x8(reinterpret_cast<const std::uint8_t*>(rows[0] + 8 * h), sizeof rows[0], columns);
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
