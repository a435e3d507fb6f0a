// iq4_xs's NEON sdot int8 decode (GLM4_GEMV_NEON_DOTPROD): per super-block,
// its eight sub-blocks as iq4_nl's blocks (iq4_nl_kernels::level_sums
// against q8x8_act) with the scale d (ls - 32).
#pragma once

#include <arm_neon.h>

#include <cstddef>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_nl/decode_neon.hpp"
#include "glm4/kernels/iq4_xs/reference.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 256, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const float d = qdetail::half_to_float(blk.d);
      for (int s = 0; s < 8; ++s) {
        const q8x4_act& x = a[b].half[s / 4];
        const int k = s % 4;
        const int32x4_t isum = iq4_nl_kernels::level_sums(blk.qs + 16 * s, x.lo + 16 * k, x.hi + 16 * k);
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum),
                          d * static_cast<float>(quant::iq4_xs::sub_scale(blk, s)) * x.d[4 * k]);
      }
      return acc;
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
