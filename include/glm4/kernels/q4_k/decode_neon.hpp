// q4_k's int8 decode (one token) on ARM64 with the dot-product extension
// (GLM4_GEMV_NEON_DOTPROD), and its loop, which q5_k's decode shares.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/q4_k/scales.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// The NEON sdot decode of the super-blocks with q4_k's scales and mins
// (q4_k, q5_k): per sub-block s, two sdot of its 32 codes against q8k_act's
// 32 activations of s, times sc[s] into an int32 sum of the super-block
// (vmla); the min term in float. codes(b) gives a function of the chunk c
// returning its neon_chunk_codes.
// One chunk's codes: sub[h][k] = bytes 16k .. 16k + 15 of sub-block 2c + h.
struct neon_chunk_codes {
  uint8x16_t sub[2][2];
};

// Each sub-block's 32 activations are read from q8k_act::at(s, 0).
static_assert(!q8k_paired_lanes);

template <std::size_t R, class Block, class Codes>
void neon_scale_min_gemv(const Block* w, std::size_t w_stride, const q8k_act* a, std::size_t n, float* out,
                         Codes codes) {
  qdetail::neon_gemv_rows<R>(w, w_stride, n / 256, out, [&](const Block& b, std::size_t sb, float32x4_t acc) {
    const q8k_act& x = a[sb];
    std::uint8_t sm[16];  // scales 0-7, mins 0-7
    qdetail::unpack_q4_k_scales(b.scales, sm);
    const auto chunk = codes(b);
    int32x4_t isum = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      const neon_chunk_codes u = chunk(c);
      for (int h = 0; h < 2; ++h) {
        const int s = 2 * c + h;
        const std::int8_t* xs = x.at(static_cast<std::size_t>(s), 0);
        const int32x4_t dot = vdotq_s32(vdotq_s32(vdupq_n_s32(0), vreinterpretq_s8_u8(u.sub[h][0]), vld1q_s8(xs)),
                                        vreinterpretq_s8_u8(u.sub[h][1]), vld1q_s8(xs + 16));
        isum = vmlaq_n_s32(isum, dot, sm[s]);
      }
    }
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(b.d) * x.d);
    const uint16x8_t mins = vmovl_u8(vld1_u8(sm + 8));
    const float32x4_t m_lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(mins)));
    const float32x4_t m_hi = vcvtq_f32_u32(vmovl_u16(vget_high_u16(mins)));
    const float32x4_t mterm = vfmaq_f32(vmulq_f32(m_lo, vld1q_f32(x.dsum + 8)), m_hi, vld1q_f32(x.dsum + 12));
    return vfmsq_f32(acc, mterm, vdupq_n_f32(qdetail::half_to_float(b.dmin)));
  });
}

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    const uint8x16_t m4 = vdupq_n_u8(15);
    neon_scale_min_gemv<R>(w, w_stride, a, n, out, [&](const block& b) {
      return [&](int c) {
        const uint8x16_t q0 = vld1q_u8(b.qs + 32 * c), q1 = vld1q_u8(b.qs + 32 * c + 16);
        return neon_chunk_codes{{{vandq_u8(q0, m4), vandq_u8(q1, m4)}, {vshrq_n_u8(q0, 4), vshrq_n_u8(q1, 4)}}};
      };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
