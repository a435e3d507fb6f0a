// q5_k's int8 decode (one token) on ARM64 with the dot-product extension
// (GLM4_GEMV_NEON_DOTPROD): q4_k's kernel (q4_k/decode_neon.hpp) with the
// fifth bits OR-ed into the codes as 16 (bit 2c + h of qh[j] for sub-block
// 2c + h, tested against a broadcast bit).
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_k/decode_neon.hpp"
#include "glm4/kernels/q5_k/reference.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

template <>
struct int8_decode<int8_family::neon_dotprod> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    const uint8x16_t m4 = vdupq_n_u8(15), sixteen = vdupq_n_u8(16);
    q4_k_kernels::neon_scale_min_gemv<R>(w, w_stride, a, n, out, [&](const block& b) {
      const uint8x16_t h0 = vld1q_u8(b.qh), h1 = vld1q_u8(b.qh + 16);
      return [&, h0, h1](int c) {
        const uint8x16_t q0 = vld1q_u8(b.qs + 32 * c), q1 = vld1q_u8(b.qs + 32 * c + 16);
        const uint8x16_t bit_lo = vdupq_n_u8(static_cast<std::uint8_t>(1u << (2 * c)));
        const uint8x16_t bit_hi = vdupq_n_u8(static_cast<std::uint8_t>(2u << (2 * c)));
        const auto fifth = [&](uint8x16_t h, uint8x16_t bit) { return vandq_u8(vtstq_u8(h, bit), sixteen); };
        return q4_k_kernels::neon_chunk_codes{
            {{vorrq_u8(vandq_u8(q0, m4), fifth(h0, bit_lo)), vorrq_u8(vandq_u8(q1, m4), fifth(h1, bit_lo))},
             {vorrq_u8(vshrq_n_u8(q0, 4), fifth(h0, bit_hi)), vorrq_u8(vshrq_n_u8(q1, 4), fifth(h1, bit_hi))}}};
      };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
