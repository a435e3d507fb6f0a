// q4_0's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): R rows (1 or 2)
// at a time, four blocks (72 bytes) of each per step against q8x4_act (see
// there). Two loads and one vpermt2b gather the four blocks' 64 code bytes;
// & 15 and high_nibbles are the low- and high-nibble values, two vpdpbusd
// (started from the -8 correction) the integer sums with lanes 4k .. 4k + 3
// for block k, and one vpermw spreads the four f16 scales to their lanes
// (f16_scales, add_scaled): 11 vector instructions per 72 bytes. Zen 4
// retires about 1.5 of them per cycle, whatever their kind, so the count is
// the speed. Several tokens (gemv_tile) share the unpacking: 5 per token.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_0/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x4_act, 72, 128> {
  static constexpr float unfold = qdetail::f16_unfold;
  static constexpr auto& apply = qdetail::apply_offset_codes;

  struct unpacker {
    // byte i <- qs[i % 16] of block i / 16 (bytes 18 k + 2 ..); word 2 l + 1
    // <- lane l's block's scale (bytes 18 k), even words zero
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      return 18 * (i / 16) + 2 + i % 16;
    });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      return 9 * (i / 8);
    });
    __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    __m512i m4 = _mm512_set1_epi8(15);

    qdetail::nibble_codes operator()(const std::uint8_t* bytes) const {
      __m512i s0 = _mm512_loadu_si512(bytes);
      qdetail::pin(s0);  // for the scales' vpermw, not a second load
      const __m512i s1 = _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes + 64)));
      const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
      return {_mm512_and_si512(q, m4), qdetail::high_nibbles(q),
              qdetail::f16_scales(_mm512_maskz_permutexvar_epi16(0xaaaaaaaa, si, s0))};
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
