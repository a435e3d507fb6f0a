// q4_0 repacked into panels of 16 rows: per 32-value block of the panel,
// the 16 rows' f16 scales, then the rows' 16 code bytes as four columns of
// four bytes, each column one 64-byte vector holding the same four bytes of
// all 16 rows. The bytes are the file's, rearranged (16 x 18 = 288); what
// a byte holds does not change (low nibble value k, high nibble k + 16).
//
// Why: one vector of codes then serves 16 rows, so a token's pass over a
// block is eight vpdpbusd and one float step for all 16 rows; in the file's
// layout each row takes float steps of its own, which several tokens repeat.
// With the 9B's matrices in this layout a pass of 8 tokens cost 1.20-1.25x
// one (docs/performance.md, "The 9B's matrices as q4_0 panels kept in
// memory").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/quant/f16.hpp"
#include "glm4/quant/q4_0.hpp"

namespace glm4::quant {

struct q4_0_panels {
  static constexpr std::size_t rows = 16;

  struct alignas(32) block {
    f16::block d[rows];
    std::uint8_t qs[4][rows][4];  // qs[c][r] = bytes 4c .. 4c + 3 of row r's qs
  };
  static_assert(sizeof(block) == rows * sizeof(q4_0::block));

  // Block b of rows row[0 .. live) into out; rows past `live` get scale 0
  // and code 8, so they decode to 0.
  static void pack(const q4_0::block* const row[rows], std::size_t live, std::size_t b, block& out) {
    for (std::size_t r = 0; r < rows; ++r) {
      if (r < live) {
        out.d[r] = row[r][b].d;
        for (std::size_t c = 0; c < 4; ++c) std::memcpy(out.qs[c][r], row[r][b].qs + 4 * c, 4);
      } else {
        out.d[r] = f16::from_float(0.0f);
        for (std::size_t c = 0; c < 4; ++c) std::memset(out.qs[c][r], 0x88, 4);
      }
    }
  }

  // Row r's block, as the file has it.
  static q4_0::block unpack(const block& in, std::size_t r) {
    q4_0::block out;
    out.d = in.d[r];
    for (std::size_t c = 0; c < 4; ++c) std::memcpy(out.qs + 4 * c, in.qs[c][r], 4);
    return out;
  }
};

}  // namespace glm4::quant
