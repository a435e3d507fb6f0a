// q5_0's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): q4_0's kernel
// (q4_0/decode_avx512vbmi.hpp) on 88-byte groups of four blocks, loaded as
// bytes 0-63 and 24-87, with the fifth bits OR-ed in as 16 under two 64-bit
// masks (byte 16 k + j of the low-nibble vector <-> bit j of block k's qh,
// of the high-nibble vector <-> bit j + 16) and the -16 correction.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q5_0/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x4_act, 88, 128> {
  static constexpr float unfold = qdetail::f16_unfold;
  static constexpr auto& apply = qdetail::apply_offset_codes;

  struct unpacker {
    // byte i <- qs[i % 16] of block i / 16 (bytes 22 k + 6 ..), word 2 l + 1
    // <- lane l's block's scale (bytes 22 k), even words zero; past byte 63
    // from the second load, which starts at 24 (a permute's second table:
    // index 64 + o - 24)
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      const int o = 22 * (i / 16) + 6 + i % 16;
      return o < 64 ? o : o + 40;
    });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      const int o = 22 * (i / 8);
      return (o < 64 ? o : o + 40) / 2;
    });
    __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);

    qdetail::nibble_codes operator()(const std::uint8_t* bytes) const {
      const auto* b = reinterpret_cast<const block*>(bytes);
      const qdetail::byte_masks fifth =
          qdetail::fifth_bit_masks(high_bits(b[0]), high_bits(b[1]), high_bits(b[2]), high_bits(b[3]));
      __m512i s0 = _mm512_loadu_si512(bytes), s1 = _mm512_loadu_si512(bytes + 24);
      qdetail::pin(s0, s1);  // for the scales' vpermw, not two more loads
      const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
      const __m512i ql4 = _mm512_and_si512(q, m4), qh4 = qdetail::high_nibbles(q);
      return {_mm512_mask_add_epi8(ql4, fifth.lo, ql4, sixteen), _mm512_mask_add_epi8(qh4, fifth.hi, qh4, sixteen),
              qdetail::f16_scales(_mm512_maskz_permutex2var_epi16(0xaaaaaaaa, s0, si, s1))};
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
