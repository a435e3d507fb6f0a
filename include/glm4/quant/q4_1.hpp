// q4_1: blocks of 32 values as 4-bit codes with an f16 scale and an f16
// offset (ggml block_q4_1, 20 bytes, 5 bits per value).
//
//   x[j] = d * q[j] + m,   q[j] in [0, 15]
//
// Byte k of qs holds q[k] in its low nibble and q[k + 16] in its high one.
// Reference encoder (ggml quantize_row_q4_1_ref): m = min x, d = (max x -
// min x) / 15, q[j] = min(15, trunc((x[j] - m) / d + 0.5)).
#pragma once

#include <algorithm>
#include <cstdint>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/block_range.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/strict_fp.hpp"

namespace glm4::quant {

GLM4_STRICT_FP_BEGIN

struct q4_1 {
  struct block {
    f16::block d;
    f16::block m;
    std::uint8_t qs[16];
  };
  static_assert(sizeof(block) == 20);
  static constexpr std::string_view name = "q4_1";
  static constexpr ggml_type type = ggml_type::q4_1;
  static constexpr std::size_t block_elems = 32;

  static void dequantize(const block* src, float* out, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, out += block_elems) {
      const float d = f16::to_float(src[b].d);
      const float m = f16::to_float(src[b].m);
      for (std::size_t j = 0; j < 16; ++j) {
        out[j] = static_cast<float>(src[b].qs[j] & 0x0f) * d + m;
        out[j + 16] = static_cast<float>(src[b].qs[j] >> 4) * d + m;
      }
    }
  }

  static void quantize(const float* in, block* dst, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, in += block_elems) {
      const auto [min, max] = block_range(in, block_elems);
      const float d = (max - min) / 15.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      dst[b].d = f16::from_float(d);
      dst[b].m = f16::from_float(min);
      for (std::size_t j = 0; j < 16; ++j) {
        const int lo = std::min(15, static_cast<int>((in[j] - min) * id + 0.5f));
        const int hi = std::min(15, static_cast<int>((in[j + 16] - min) * id + 0.5f));
        dst[b].qs[j] = static_cast<std::uint8_t>(lo | (hi << 4));
      }
    }
  }
};

GLM4_STRICT_FP_END

}  // namespace glm4::quant
