// q6_k's int8 decode (one token) on ARM64 with the dot-product extension
// (GLM4_GEMV_NEON_DOTPROD).
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"
#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // 16 codes at a time (ql's nibble and qh's bit pair joined by one
    // sli), one sdot against sub-block s's activations, times sc[s] into
    // the super-block's int32 sum (mla); the offset from neg_sums (smlal).
    const uint8x16_t m3 = vdupq_n_u8(3);
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 256, out, [&](const block& b, std::size_t sb, float32x4_t acc) {
      const gemv_activation& x = a[sb];
      const int16x8_t sc0 = vmovl_s8(vld1_s8(b.scales)), sc1 = vmovl_s8(vld1_s8(b.scales + 8));
      int32x4_t offset = vmull_s16(vget_low_s16(sc0), vld1_s16(x.neg_sums));
      offset = vmlal_high_s16(offset, sc0, vld1q_s16(x.neg_sums));
      offset = vmlal_s16(offset, vget_low_s16(sc1), vld1_s16(x.neg_sums + 8));
      offset = vmlal_high_s16(offset, sc1, vld1q_s16(x.neg_sums + 8));
      int32x4_t isum = vshlq_n_s32(offset, 5);
      const auto add = [&](uint8x16_t u, int v) {  // values v .. v + 15: sub-block v / 16
        const int32x4_t dot = vdotq_s32(vdupq_n_s32(0), vreinterpretq_s8_u8(u), vld1q_s8(x.qs + v));
        isum = vmlaq_n_s32(isum, dot, b.scales[v / 16]);
      };
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; l += 16) {
          const uint8x16_t qa = vld1q_u8(b.ql + 64 * h + l), qb = vld1q_u8(b.ql + 64 * h + 32 + l);
          const uint8x16_t qh = vld1q_u8(b.qh + 32 * h + l);
          const int v = 128 * h + l;
          add(vsliq_n_u8(qa, vandq_u8(qh, m3), 4), v);  // sli keeps the low 4 bits of qa
          add(vsliq_n_u8(qb, vandq_u8(vshrq_n_u8(qh, 2), m3), 4), v + 32);
          add(vsliq_n_u8(vshrq_n_u8(qa, 4), vandq_u8(vshrq_n_u8(qh, 4), m3), 4), v + 64);
          add(vsliq_n_u8(vshrq_n_u8(qb, 4), vshrq_n_u8(qh, 6), 4), v + 96);
        }
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(b.d) * x.d);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
