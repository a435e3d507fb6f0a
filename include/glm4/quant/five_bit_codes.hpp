// How q5_0 and q5_1 store a block's 32 five-bit codes: the low four bits of
// q[k] and q[k + 16] share byte k of qs (low, high nibble); the fifth bits
// are bit k and bit k + 16 of the little-endian uint32 qh.
#pragma once

#include <cstddef>
#include <cstdint>

namespace glm4::quant::five_bit {

inline std::uint32_t high_bits(const std::uint8_t (&qh)[4]) {
  return static_cast<std::uint32_t>(qh[0]) | static_cast<std::uint32_t>(qh[1]) << 8 |
         static_cast<std::uint32_t>(qh[2]) << 16 | static_cast<std::uint32_t>(qh[3]) << 24;
}

// Code j (0..31) of a block, given its qs and high_bits(qh).
inline int code(const std::uint8_t (&qs)[16], std::uint32_t high, std::size_t j) {
  const int nibble = j < 16 ? qs[j] & 0x0f : qs[j - 16] >> 4;
  return nibble | static_cast<int>(((high >> j) & 1u) << 4);
}

// Packs codes q[0..31], each in [0, 31].
inline void store(const int (&q)[32], std::uint8_t (&qs)[16], std::uint8_t (&qh)[4]) {
  std::uint32_t high = 0;
  for (std::size_t j = 0; j < 16; ++j) {
    qs[j] = static_cast<std::uint8_t>((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
    high |= static_cast<std::uint32_t>(q[j] >> 4) << j;
    high |= static_cast<std::uint32_t>(q[j + 16] >> 4) << (j + 16);
  }
  for (std::size_t k = 0; k < 4; ++k) qh[k] = static_cast<std::uint8_t>(high >> (8 * k));
}

}  // namespace glm4::quant::five_bit
