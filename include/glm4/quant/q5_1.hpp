// q5_1: blocks of 32 values as 5-bit codes with an f16 scale and an f16
// offset (ggml block_q5_1, 24 bytes, 6 bits per value).
//
//   x[j] = d * q[j] + m,   q[j] in [0, 31]
//
// Codes are packed as q5_0's: the low four bits of q[k] and q[k + 16] share
// byte k of qs (low, high nibble); the fifth bits are bit k and bit k + 16 of
// the little-endian uint32 qh. Reference encoder (ggml
// quantize_row_q5_1_ref): q4_1's min / max rule with 32 levels, m = min x,
// d = (max x - min x) / 31, q[j] = trunc((x[j] - m) / d + 0.5). ggml does
// not clamp: (max x - m) / d is 31 within a few ulps, so the min(31, ...)
// below never changes one of its codes; it only keeps the code in 5 bits.
// llama-quantize writes this format where a q5_k row is not whole 256-value
// super-blocks (GLM-4-9B's ffn_down, 13696 wide, in Q5_K_S / Q5_K_M files).
#pragma once

#include <algorithm>
#include <cstdint>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/block_range.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/strict_fp.hpp"

namespace glm4::quant {

GLM4_STRICT_FP_BEGIN

struct q5_1 {
  struct block {
    f16::block d;
    f16::block m;
    std::uint8_t qh[4];
    std::uint8_t qs[16];
  };
  static_assert(sizeof(block) == 24);
  static constexpr std::string_view name = "q5_1";
  static constexpr ggml_type type = ggml_type::q5_1;
  static constexpr std::size_t block_elems = 32;

  static void dequantize(const block* src, float* out, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, out += block_elems) {
      const float d = f16::to_float(src[b].d);
      const float m = f16::to_float(src[b].m);
      const std::uint32_t high = five_bit::high_bits(src[b].qh);
      for (std::size_t j = 0; j < block_elems; ++j) out[j] = static_cast<float>(five_bit::code(src[b].qs, high, j)) * d + m;
    }
  }

  static void quantize(const float* in, block* dst, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, in += block_elems) {
      const auto [min, max] = block_range(in, block_elems);
      const float d = (max - min) / 31.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      dst[b].d = f16::from_float(d);
      dst[b].m = f16::from_float(min);
      int q[block_elems];
      for (std::size_t j = 0; j < block_elems; ++j) q[j] = std::min(31, static_cast<int>((in[j] - min) * id + 0.5f));
      five_bit::store(q, dst[b].qs, dst[b].qh);
    }
  }
};

GLM4_STRICT_FP_END

}  // namespace glm4::quant
