// The kernels of q4_k repacked into 16-row panels (quant/q4_k_panels.hpp):
// their activations and scalar twins, which the SIMD tile
// (repacked_avx2.hpp) equals bit for bit. Per super-block b, row r and
// token t, with activations x[j] ~= dx a[j] (one scale per super-block, as
// q8k_act), sub-block sums as[s] = sum of a over sub-block s, codes q in
// [0, 15] and 6-bit scales sc[s] and mins mn[s],
//
//   isum = sum_s sc[s] sum_{j in s} q[j] a[j]      (|.| < 8 * 63 * 32 * 15 * 127 < 2^25)
//   msum = sum_s mn[s] as[s]                       (|.| < 8 * 63 * 32 * 127 < 2^21)
//   out[t][r] = fma(float(isum), d[r] * dx, out[t][r])
//   out[t][r] = fma(-float(msum), dmin[r] * dx, out[t][r])   super-block after super-block
//
// Each token's sum takes the same steps in the same order however many
// tokens share the pass, so a batch's logits equal decode's bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/k_quants.hpp"
#include "glm4/quant/q4_k_panels.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

using panel_block_q4_k = quant::q4_k_panels::block;
inline constexpr std::size_t repacked_panel_rows = quant::q4_k_panels::rows;

// 256 activations for the repacked panels: int8 values in order with one
// scale (q8k_act's rounding) and each 32-value sub-block's sum.
struct repacked_act {
  std::int8_t qs[256];
  std::int16_t sums[8];
  float d;
};
static_assert(sizeof(repacked_act) == 276);

// One token's row of `cols` floats (a multiple of 256).
inline void prepare_repacked(const float* x, repacked_act* a, std::size_t cols) {
  qdetail::each_super_block(x, a, cols, [](repacked_act& out, const float* v, float id) {
    for (std::size_t s = 0; s < 8; ++s)
      out.sums[s] = static_cast<std::int16_t>(qdetail::round_q8(v + 32 * s, id, out.qs + 32 * s));
  });
}

// Code j of sub-block s of row r in a panel super-block: byte j of chunk
// s / 2, low nibble for even s.
inline unsigned repacked_code(const panel_block_q4_k& p, std::size_t r, std::size_t s, std::size_t j) {
  const std::uint8_t byte = p.qs[s / 2][j / 4][r][j % 4];
  return s % 2 ? byte >> 4 : byte & 15u;
}

// Row r's scale and min of sub-block s.
inline quant::k_quants::scale_min repacked_scale_min(const panel_block_q4_k& p, std::size_t r, std::size_t s) {
  std::uint8_t packed[12];
  for (std::size_t w = 0; w < 3; ++w) std::memcpy(packed + 4 * w, &p.scales[w][r], 4);
  return quant::k_quants::get_scale_min(packed, static_cast<int>(s));
}

// T tokens (a + t * a_stride) over one panel's super-blocks [0, nb):
// out[t * 16 + r] for row r.
inline void repacked_tile_reference(const panel_block_q4_k* p, std::size_t nb, const repacked_act* a,
                                    std::size_t a_stride, std::size_t T, float* out) {
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < repacked_panel_rows; ++r) {
      float sum = 0.0f;
      for (std::size_t b = 0; b < nb; ++b) {
        const repacked_act& x = a[t * a_stride + b];
        std::int32_t isum = 0, msum = 0;
        for (std::size_t s = 0; s < 8; ++s) {
          const auto sm = repacked_scale_min(p[b], r, s);
          std::int32_t qa = 0;
          for (std::size_t j = 0; j < 32; ++j)
            qa += static_cast<std::int32_t>(repacked_code(p[b], r, s, j)) * x.qs[32 * s + j];
          isum += sm.scale * qa;
          msum += sm.min * x.sums[s];
        }
        sum = std::fma(static_cast<float>(isum), qdetail::half_to_float(p[b].d[r]) * x.d, sum);
        sum = std::fma(-static_cast<float>(msum), qdetail::half_to_float(p[b].dmin[r]) * x.d, sum);
      }
      out[t * repacked_panel_rows + r] = sum;
    }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
