// q5_1's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): q5_0's kernel
// (q5_0/decode_avx512vbmi.hpp) on 96-byte groups of four blocks, loaded as
// bytes 0-63 and 32-95, with unsigned codes (vpdpbusd from zero) and q4_1's
// second add_scaled for the minimum (q4_1/decode_avx512vbmi.hpp).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q5_1/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x4_act, 96, 128> {
  static constexpr float unfold = qdetail::f16_unfold;
  static constexpr auto& apply = qdetail::apply_min_codes;

  struct unpacker {
    // byte i <- qs[i % 16] of block i / 16 (bytes 24 k + 8 ..); word 2 l + 1
    // <- lane l's block's d (bytes 24 k) or m (24 k + 2), even words zero;
    // past byte 63 from the second load, which starts at 32 (a permute's
    // second table: index 64 + o - 32 for bytes, 32 + w - 16 for words)
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      const int o = 24 * (i / 16) + 8 + i % 16;
      return o < 64 ? o : o + 32;
    });
    alignas(64) static constexpr auto spread_d = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      const int o = 12 * (i / 8);
      return o < 32 ? o : o + 16;
    });
    alignas(64) static constexpr auto spread_m = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      const int o = 12 * (i / 8) + 1;
      return o < 32 ? o : o + 16;
    });
    __m512i gi = _mm512_load_si512(gather.data());
    __m512i di = _mm512_load_si512(spread_d.data()), mi = _mm512_load_si512(spread_m.data());
    __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);

    qdetail::nibble_min_codes operator()(const std::uint8_t* bytes) const {
      const auto* b = reinterpret_cast<const block*>(bytes);
      const qdetail::byte_masks fifth =
          qdetail::fifth_bit_masks(high_bits(b[0]), high_bits(b[1]), high_bits(b[2]), high_bits(b[3]));
      __m512i s0 = _mm512_loadu_si512(bytes), s1 = _mm512_loadu_si512(bytes + 32);
      qdetail::pin(s0, s1);  // for the scales' vpermw, not more loads
      const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
      const __m512i ql4 = _mm512_and_si512(q, m4), qh4 = qdetail::high_nibbles(q);
      return {_mm512_mask_add_epi8(ql4, fifth.lo, ql4, sixteen), _mm512_mask_add_epi8(qh4, fifth.hi, qh4, sixteen),
              qdetail::f16_scales(_mm512_maskz_permutex2var_epi16(0xaaaaaaaa, s0, di, s1)),
              qdetail::f16_scales(_mm512_maskz_permutex2var_epi16(0xaaaaaaaa, s0, mi, s1))};
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
