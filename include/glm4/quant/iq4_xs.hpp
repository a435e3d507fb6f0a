// iq4_xs: super-blocks of 256 values in 8 sub-blocks of 32, each sub-block
// iq4_nl's codes with a 6-bit scale of its own (ggml block_iq4_xs, 136
// bytes, 4.25 bits per value).
//
//   x[32 s + j] = d * (ls[s] - 32) * levels[q[32 s + j]]
//
// d: f16. ls[s], 6 bits: its low 4 in nibble s % 2 of scales_l[s / 2], its
// high 2 in bits 2 s, 2 s + 1 of scales_h. Sub-block s's codes are bytes
// 16 s .. 16 s + 15 of qs, packed as iq4_nl packs a block. Encoder:
// llama-quantize's (ggml quantize_iq4_xs without an importance matrix): each
// sub-block's scale from nonlinear_4bit::block_scale, d = -(the scale of
// largest magnitude) / 32, each scale rounded to d's multiples in [-32, 31]
// and the codes re-rounded against it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/k_quants.hpp"
#include "glm4/quant/nonlinear_4bit.hpp"
#include "glm4/quant/signed_absmax.hpp"
#include "glm4/quant/strict_fp.hpp"

namespace glm4::quant {

GLM4_STRICT_FP_BEGIN

struct iq4_xs {
  struct block {
    f16::block d;
    std::uint16_t scales_h;
    std::uint8_t scales_l[4];
    std::uint8_t qs[128];
  };
  static_assert(sizeof(block) == 136);
  static constexpr std::string_view name = "iq4_xs";
  static constexpr ggml_type type = ggml_type::iq4_xs;
  static constexpr std::size_t block_elems = k_quants::super_block;

  // Sub-block s's scale, ls[s] - 32 in [-32, 31].
  static constexpr int sub_scale(const block& b, int s) {
    const int low = (b.scales_l[s / 2] >> 4 * (s % 2)) & 15;
    const int high = (b.scales_h >> 2 * s) & 3;
    return (low | high << 4) - 32;
  }

  static void dequantize(const block* src, float* out, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b) {
      const float d = f16::to_float(src[b].d);
      for (int s = 0; s < 8; ++s, out += 32)
        nonlinear_4bit::unpack_codes(src[b].qs + 16 * s, d * static_cast<float>(sub_scale(src[b], s)), out);
    }
  }

  static void quantize(const float* in, block* dst, std::size_t n) {
    for (std::size_t b = 0; b < n / block_elems; ++b, in += block_elems) {
      float scales[8];
      for (int s = 0; s < 8; ++s) scales[s] = nonlinear_4bit::block_scale(in + 32 * s);
      const float max = signed_absmax(scales, 8);
      const float d = -max / 32;
      const float id = d != 0 ? 1 / d : 0.f;
      block& out = dst[b];
      out.d = f16::from_float(d);
      out.scales_h = 0;
      for (int s = 0; s < 8; ++s) {
        const int l = std::clamp(k_quants::nearest_int(id * scales[s]), -32, 31);
        nonlinear_4bit::pack_codes(in + 32 * s, d * static_cast<float>(l), out.qs + 16 * s);
        const int ls = l + 32;
        if (s % 2 == 0)
          out.scales_l[s / 2] = static_cast<std::uint8_t>(ls & 15);
        else
          out.scales_l[s / 2] |= static_cast<std::uint8_t>((ls & 15) << 4);
        out.scales_h |= static_cast<std::uint16_t>((ls >> 4) << 2 * s);
      }
    }
  }
};

GLM4_STRICT_FP_END

}  // namespace glm4::quant
