// q8_0 repacked into panels of 16 rows: per 32-value block of the panel,
// the 16 rows' f16 scales, then the rows' 32 code bytes as eight columns of
// four bytes, each column the same four bytes of all 16 rows. The bytes are
// the file's, rearranged (16 x 34 = 544).
//
// Why: as for q4_0 (quant/q4_0_panels.hpp), one vector of codes then serves
// 8 rows, and a token's float step covers 8 rows instead of one; in the
// file's layout a row's block takes a float step of its own for every
// token of a batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/quant/f16.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::quant {

struct q8_0_panels {
  static constexpr std::size_t rows = 16;

  struct alignas(32) block {
    f16::block d[rows];
    std::int8_t qs[8][rows][4];  // qs[c][r] = bytes 4c .. 4c + 3 of row r's qs
  };
  static_assert(sizeof(block) == rows * sizeof(q8_0::block));

  // Block b of rows row[0 .. live) into out; rows past `live` get scale 0
  // and codes 0.
  static void pack(const q8_0::block* const row[rows], std::size_t live, std::size_t b, block& out) {
    for (std::size_t r = 0; r < rows; ++r) {
      if (r < live) {
        out.d[r] = row[r][b].d;
        for (std::size_t c = 0; c < 8; ++c) std::memcpy(out.qs[c][r], row[r][b].qs + 4 * c, 4);
      } else {
        out.d[r] = f16::from_float(0.0f);
        for (std::size_t c = 0; c < 8; ++c) std::memset(out.qs[c][r], 0, 4);
      }
    }
  }

  // Row r's block, as the file has it.
  static q8_0::block unpack(const block& in, std::size_t r) {
    q8_0::block out;
    out.d = in.d[r];
    for (std::size_t c = 0; c < 8; ++c) std::memcpy(out.qs + 4 * c, in.qs[c][r], 4);
    return out;
  }
};

}  // namespace glm4::quant
