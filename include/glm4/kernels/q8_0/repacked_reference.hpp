// The kernels of q8_0 repacked into 16-row panels (quant/q8_0_panels.hpp):
// their activations and scalar twin, which the SIMD tile (repacked_avx2.hpp)
// equals bit for bit. Per panel block b, row r and token t, with
// activations x[j] ~= dx a[j] (q8_act's rounding) and codes q[j] in
// [-128, 127],
//
//   isum = sum_j q[j] a[j]                            (exact in int32)
//   out[t][r] = fma(float(isum), dw[r] * dx, out[t][r])   block after block
//
// Each token's sum takes the same steps in the same order however many
// tokens share the pass, so a batch's logits equal decode's bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q8_0_panels.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

using panel_block_q8_0 = quant::q8_0_panels::block;
inline constexpr std::size_t repacked_panel_rows = quant::q8_0_panels::rows;

// One token's row of `cols` floats (a multiple of 32) as q8_act blocks.
inline void prepare_repacked(const float* x, q8_act* a, std::size_t cols) {
  for (std::size_t b = 0; b < cols / 32; ++b) qdetail::quantize_q8(x + 32 * b, a[b]);
}

// T tokens (a + t * a_stride) over one panel's blocks [0, nb): out[t * 16 +
// r] for row r.
inline void repacked_tile_reference(const panel_block_q8_0* p, std::size_t nb, const q8_act* a, std::size_t a_stride,
                                    std::size_t T, float* out) {
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < repacked_panel_rows; ++r) {
      float sum = 0.0f;
      for (std::size_t b = 0; b < nb; ++b) {
        const q8_act& x = a[t * a_stride + b];
        std::int32_t isum = 0;
        for (std::size_t j = 0; j < 32; ++j) isum += p[b].qs[j / 4][r][j % 4] * x.qs[j];
        sum = std::fma(static_cast<float>(isum), qdetail::half_to_float(p[b].d[r]) * x.d, sum);
      }
      out[t * repacked_panel_rows + r] = sum;
    }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
