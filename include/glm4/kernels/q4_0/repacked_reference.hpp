// The kernels of q4_0 repacked into 16-row panels (quant/q4_0_panels.hpp):
// their activations and scalar twins, which the SIMD kernels
// (repacked_avx512vnni.hpp, repacked_avx2.hpp) equal bit for bit. Per panel
// block b, row r and token t, with activations x[j] ~= dx a[j]
// (activations/q8.hpp's q8_act rounding) and codes q[j] in [0, 15],
//
//   isum = sum_j (q[j] - 8) a[j] = sum_j q[j] a[j] + offset_sum,
//   offset_sum = -8 sum_j a[j]                        (exact in int32)
//   out[t][r] = fma(float(isum), dw[r] * dx, out[t][r])   block after block
//
// Each token's sum takes the same steps in the same order however many
// tokens share the pass, so a batch's logits equal decode's bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_0_panels.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

using panel_block_q4_0 = quant::q4_0_panels::block;

// 32 activations for the repacked panels: q8_act's codes and scale, and
// the codes' sum times q4_0's offset of -8.
struct repacked_act {
  float d;
  std::int32_t offset_sum;
  std::int8_t qs[32];
};
static_assert(sizeof(repacked_act) == 40);

// One token's row of `cols` floats (a multiple of 32).
inline void prepare_repacked(const float* x, repacked_act* a, std::size_t cols) {
  for (std::size_t b = 0; b < cols / 32; ++b) {
    q8_act q;
    qdetail::quantize_q8(x + 32 * b, q);
    std::int32_t sum = 0;
    for (const std::int8_t v : q.qs) sum += v;
    a[b].d = q.d;
    a[b].offset_sum = -8 * sum;
    std::memcpy(a[b].qs, q.qs, 32);
  }
}

// Code j of row r in a panel block: byte j % 16 of the row, low nibble for
// j < 16.
inline unsigned repacked_code(const panel_block_q4_0& p, std::size_t r, std::size_t j) {
  const std::uint8_t byte = p.qs[j % 16 / 4][r][j % 4];
  return j < 16 ? byte & 15u : byte >> 4;
}

// T tokens (a + t * a_stride) over one panel's blocks [0, nb): out[t * 16 +
// r] for row r.
inline void repacked_tile_reference(const panel_block_q4_0* p, std::size_t nb, const repacked_act* a,
                                    std::size_t a_stride, std::size_t T, float* out) {
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < panel_rows; ++r) {
      float sum = 0.0f;
      for (std::size_t b = 0; b < nb; ++b) {
        const repacked_act& x = a[t * a_stride + b];
        std::int32_t isum = x.offset_sum;
        for (std::size_t j = 0; j < 32; ++j) isum += static_cast<std::int32_t>(repacked_code(p[b], r, j)) * x.qs[j];
        sum = std::fma(static_cast<float>(isum), qdetail::half_to_float(p[b].d[r]) * x.d, sum);
      }
      out[t * panel_rows + r] = sum;
    }
}

// A panel's blocks [0, nb) as prefill's int8 panel (int8_panel.hpp): the
// codes as they are, scale dw, offset -8 dw.
inline void unpack_repacked_reference(const panel_block_q4_0* p, std::size_t nb, panel_block* out) {
  for (std::size_t b = 0; b < nb; ++b)
    for (std::size_t r = 0; r < panel_rows; ++r) {
      for (std::size_t j = 0; j < 32; ++j) out[b].u[j / 4][r][j % 4] = static_cast<std::uint8_t>(repacked_code(p[b], r, j));
      out[b].scale[0][r] = qdetail::half_to_float(p[b].d[r]);
      out[b].offset[0][r] = -8.0f * out[b].scale[0][r];
    }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
