// q5_0: blocks of 32 values as 5-bit codes with one f16 scale (ggml
// block_q5_0, 22 bytes, 5.5 bits per value).
//
//   x[j] = d * (q[j] - 16),   q[j] in [0, 31]
//
// The low four bits of q[k] and q[k + 16] share byte k of qs (low, high
// nibble); the fifth bits are bit k and bit k + 16 of the little-endian
// uint32 qh. Reference encoder (ggml quantize_row_q5_0_ref): q4_0's max-abs
// sign trick with 32 levels, d = m / -16,
// q[j] = min(31, trunc(x[j] / d + 16.5)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/signed_absmax.hpp"
#include "glm4/quant/strict_fp.hpp"

namespace glm4::quant {

GLM4_STRICT_FP_BEGIN

struct q5_0 {
  struct block {
    f16::block d;
    std::uint8_t qh[4];
    std::uint8_t qs[16];
  };
  static_assert(sizeof(block) == 22);
  static constexpr std::string_view name = "q5_0";
  static constexpr ggml_type type = ggml_type::q5_0;
  static constexpr std::size_t block_elems = 32;

  static void dequantize(const block* src, float* out, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, out += block_elems) {
      const float d = f16::to_float(src[b].d);
      const std::uint32_t high = five_bit::high_bits(src[b].qh);
      for (std::size_t j = 0; j < block_elems; ++j)
        out[j] = static_cast<float>(five_bit::code(src[b].qs, high, j) - 16) * d;
    }
  }

  static void quantize(const float* in, block* dst, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, in += block_elems) {
      const float d = signed_absmax(in, block_elems) / -16.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      dst[b].d = f16::from_float(d);
      int q[block_elems];
      for (std::size_t j = 0; j < block_elems; ++j) q[j] = std::min(31, static_cast<int>(in[j] * id + 16.5f));
      five_bit::store(q, dst[b].qs, dst[b].qh);
    }
  }
};

GLM4_STRICT_FP_END

}  // namespace glm4::quant
