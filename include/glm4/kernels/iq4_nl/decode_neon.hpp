// iq4_nl's NEON sdot int8 decode (GLM4_GEMV_NEON_DOTPROD): per block, the
// low and high nibbles through the levels (vqtbl1q_s8) against its 16 low
// and 16 high activations of q8x4_act, two sdot; the levels are signed, so
// the correction is unused.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/neon/gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

// One block's integer sums (4 lanes) from its 16 code bytes against the
// activations of its values 0-15 (lo) and 16-31 (hi); also iq4_xs's, per
// sub-block.
inline int32x4_t level_sums(const std::uint8_t* qs, const std::int8_t* lo, const std::int8_t* hi) {
  const int8x16_t table = vld1q_s8(levels.data());
  const uint8x16_t q = vld1q_u8(qs);
  const int8x16_t low = vqtbl1q_s8(table, vandq_u8(q, vdupq_n_u8(15)));
  const int8x16_t high = vqtbl1q_s8(table, vshrq_n_u8(q, 4));
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), low, vld1q_s8(lo)), high, vld1q_s8(hi));
}

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      const int32x4_t isum = level_sums(blk.qs, x.lo + 16 * k, x.hi + 16 * k);
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[4 * k]);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
