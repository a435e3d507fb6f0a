// q8_0's NEON sdot int8 decode (GLM4_GEMV_NEON_DOTPROD): per block, its 32
// signed codes against its 32 activations of q8x2_act, two sdot (the
// layout's -128 correction is for the unsigned x86 kernel).
#pragma once

#include <arm_neon.h>

#include <cstddef>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"
#include "glm4/kernels/q8_0/reference.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 2];
      const std::int8_t* xs = x.qs + 32 * (b % 2);
      const int32x4_t isum = vdotq_s32(vdotq_s32(vdupq_n_s32(0), vld1q_s8(blk.qs), vld1q_s8(xs)), vld1q_s8(blk.qs + 16),
                                       vld1q_s8(xs + 16));
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[8 * (b % 2)]);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
