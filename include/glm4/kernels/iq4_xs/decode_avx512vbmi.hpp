// iq4_xs's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): one super-block
// (136 bytes) per step against q8x8_act. Each 64-byte half of its codes is
// four sub-blocks in q8x4_act's order, so per half: & 15 and high_nibbles,
// each through one vpshufb of offset_levels (level + 128, unsigned for
// vpdpbusd), two vpdpbusd started from the correction for 128. The eight
// scales come from sub_block_scales (256-bit), one vpermps per half
// spreading them to four lanes each.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/iq4_xs/reference.hpp"
#include "glm4/kernels/iq4_xs/scales_x86.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"
#include "glm4/kernels/x86/level_tables.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x8_act, 136, 256> {
  static constexpr float unfold = 1.0f;

  // A super-block's halves: codes and per-lane sub-block scales d (ls - 32).
  struct codes {
    qdetail::nibble_codes half[2];
  };

  struct unpacker {
    // lane l of half h: sub-block 4 h + l / 4's scale, lane 16 h + l of the index
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint32_t, 32>([](int i) { return i / 4; });
    __m512i table = qdetail::table_x512(offset_levels), m4 = _mm512_set1_epi8(15);

    codes operator()(const std::uint8_t* bytes) const {
      const auto& b = *reinterpret_cast<const block*>(bytes);
      const __m512 dw = _mm512_castps256_ps512(sub_block_scales(b));
      codes u;
      for (int h = 0; h < 2; ++h) {
        const __m512i q = _mm512_loadu_si512(b.qs + 64 * h);
        u.half[h] = {_mm512_shuffle_epi8(table, _mm512_and_si512(q, m4)),
                     _mm512_shuffle_epi8(table, qdetail::high_nibbles(q)),
                     _mm512_permutexvar_ps(_mm512_load_si512(spread.data() + 16 * h), dw)};
      }
      return u;
    }
  };

  static __m512 apply(const codes& u, const q8x8_act& x, __m512 acc) {
    for (int h = 0; h < 2; ++h) acc = qdetail::apply_offset_codes(u.half[h], qdetail::loaded(x.half[h]), acc);
    return acc;
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_xs_kernels
