// The fifth bits of a q5_0 / q5_1 block as bytes of 0 or 16, for the NEON
// sdot decode kernels (their decode_neon.hpp): qh's byte j / 8 moved to
// byte j by one table lookup, bit j % 8 tested.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

struct fifth_bits {
  uint8x16_t lo, hi;  // values 0-15, 16-31
};

inline fifth_bits fifth_bits_as_16(std::uint32_t high) {
  alignas(16) static constexpr std::uint8_t lo_bytes[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  alignas(16) static constexpr std::uint8_t hi_bytes[16] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  alignas(16) static constexpr std::uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t qh = vreinterpretq_u8_u32(vdupq_n_u32(high)), bits = vld1q_u8(bit), sixteen = vdupq_n_u8(16);
  return {vandq_u8(vtstq_u8(vqtbl1q_u8(qh, vld1q_u8(lo_bytes)), bits), sixteen),
          vandq_u8(vtstq_u8(vqtbl1q_u8(qh, vld1q_u8(hi_bytes)), bits), sixteen)};
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
