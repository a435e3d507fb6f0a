// q5_0's NEON sdot int8 decode (GLM4_GEMV_NEON_DOTPROD): per block, the
// fifth bits OR-ed in as 16 into the low and high nibbles
// (neon/fifth_bits.hpp), minus 16, and two sdot against the block's 16 low
// and 16 high activations of q8x4_act.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/neon/fifth_bits.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"
#include "glm4/kernels/q5_0/reference.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    const uint8x16_t m4 = vdupq_n_u8(15);
    const int8x16_t sixteen = vdupq_n_s8(16);
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      const uint8x16_t q = vld1q_u8(blk.qs);
      const qdetail::fifth_bits f = qdetail::fifth_bits_as_16(high_bits(blk));
      const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, m4), f.lo)), sixteen);
      const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), f.hi)), sixteen);
      const int32x4_t isum =
          vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(x.lo + 16 * k)), hi, vld1q_s8(x.hi + 16 * k));
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[4 * k]);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
