// q4_k's 12 packed scale bytes as 8 scales then 8 mins, for the kernels that
// read them from memory (the portable dot, NEON decode, int8_panel.hpp's
// unpacker); the x86 kernels do the same in registers (x86.hpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// The 12 packed scale bytes as 8 scales (bytes 0-7) then 8 mins (8-15), with
// ggml's 32-bit mask trick (see k_quants.hpp for the layout).
inline void unpack_q4_k_scales(const std::uint8_t* packed, std::uint8_t out[16]) {
  constexpr std::uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
  std::uint32_t u[4];
  std::memcpy(u, packed, 12);
  u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);  // mins 4-7
  const std::uint32_t mins_lo = u[1] & kmask1;                    // mins 0-3
  u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);         // scales 4-7
  u[2] = mins_lo;
  u[0] &= kmask1;  // scales 0-3
  std::memcpy(out, u, 16);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
