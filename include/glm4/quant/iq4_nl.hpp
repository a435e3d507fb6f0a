// iq4_nl: blocks of 32 values as 4-bit codes into a fixed non-linear table
// of 16 int8 levels, with one f16 scale (ggml block_iq4_nl, 18 bytes, 4.5
// bits per value).
//
//   x[j] = d * levels[q[j]],   q[j] in [0, 15]
//
// Byte k of qs holds q[k] in its low nibble and q[k + 16] in its high one,
// as q4_0. Encoder: llama-quantize's (ggml quantize_iq4_nl without an
// importance matrix), the scale search of nonlinear_4bit::block_scale.
#pragma once

#include <cstdint>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/nonlinear_4bit.hpp"

namespace glm4::quant {

struct iq4_nl {
  struct block {
    f16::block d;
    std::uint8_t qs[16];
  };
  static_assert(sizeof(block) == 18);
  static constexpr std::string_view name = "iq4_nl";
  static constexpr ggml_type type = ggml_type::iq4_nl;
  static constexpr std::size_t block_elems = 32;

  static void dequantize(const block* src, float* out, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, out += block_elems)
      nonlinear_4bit::unpack_codes(src[b].qs, f16::to_float(src[b].d), out);
  }

  static void quantize(const float* in, block* dst, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, in += block_elems) {
      const float d = nonlinear_4bit::block_scale(in);
      dst[b].d = f16::from_float(d);
      nonlinear_4bit::pack_codes(in, d, dst[b].qs);
    }
  }
};

}  // namespace glm4::quant
