// q4_k repacked into panels of 16 rows: per 256-value super-block of the
// panel, the 16 rows' d and dmin, their 12 scale bytes as three 32-bit
// words each (word w of all 16 rows together), then the rows' 128 code
// bytes as 32 columns of four bytes (chunk c's bytes 4k .. 4k + 3), each
// column the same four bytes of all 16 rows. The bytes are the file's,
// rearranged (16 x 144 = 2304); what a byte holds does not change (chunk
// c's byte l: value 64 c + l in the low nibble, 64 c + 32 + l in the high).
//
// Why: as for q4_0 (quant/q4_0_panels.hpp), one vector of codes then serves
// 8 or 16 rows, and one vector of scale words unpacks 8 rows' scales and
// mins at once, so several tokens share every weight instruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/quant/f16.hpp"
#include "glm4/quant/q4_k.hpp"

namespace glm4::quant {

struct q4_k_panels {
  static constexpr std::size_t rows = 16;

  struct alignas(32) block {
    f16::block d[rows];
    f16::block dmin[rows];
    std::uint32_t scales[3][rows];   // scales[w][r] = bytes 4w .. 4w + 3 of row r's scales
    std::uint8_t qs[4][8][rows][4];  // qs[c][k][r] = bytes 32c + 4k .. + 3 of row r's qs
  };
  static_assert(sizeof(block) == rows * sizeof(q4_k::block));

  // Super-block b of rows row[0 .. live) into out; rows past `live` get
  // d = dmin = 0, so they decode to 0.
  static void pack(const q4_k::block* const row[rows], std::size_t live, std::size_t b, block& out) {
    std::memset(&out, 0, sizeof out);
    for (std::size_t r = 0; r < live; ++r) {
      const q4_k::block& in = row[r][b];
      out.d[r] = in.d;
      out.dmin[r] = in.dmin;
      for (std::size_t w = 0; w < 3; ++w) std::memcpy(&out.scales[w][r], in.scales + 4 * w, 4);
      for (std::size_t c = 0; c < 4; ++c)
        for (std::size_t k = 0; k < 8; ++k) std::memcpy(out.qs[c][k][r], in.qs + 32 * c + 4 * k, 4);
    }
  }

  // Row r's super-block, as the file has it.
  static q4_k::block unpack(const block& in, std::size_t r) {
    q4_k::block out;
    out.d = in.d[r];
    out.dmin = in.dmin[r];
    for (std::size_t w = 0; w < 3; ++w) std::memcpy(out.scales + 4 * w, &in.scales[w][r], 4);
    for (std::size_t c = 0; c < 4; ++c)
      for (std::size_t k = 0; k < 8; ++k) std::memcpy(out.qs + 32 * c + 4 * k, in.qs[c][k][r], 4);
    return out;
  }
};

}  // namespace glm4::quant
