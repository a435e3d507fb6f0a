// q4_1's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): q4_0's kernel
// (q4_0/decode_avx512vbmi.hpp) on 80-byte groups of four blocks, loaded as
// bytes 0-63 and 16-79, with unsigned codes (vpdpbusd from zero) and a
// second add_scaled for the minimum: each lane's activation sum (q8x4_act's
// corr, prepared with offset -1) times m dx, with the four m spread to their
// lanes by one more vpermw.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_1/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x4_act, 80, 128> {
  static constexpr float unfold = qdetail::f16_unfold;
  static constexpr auto& apply = qdetail::apply_min_codes;

  struct unpacker {
    // byte i <- qs[i % 16] of block i / 16 (bytes 20 k + 4 ..), past byte 63
    // from the second load, which starts at 16 (a permute's second table:
    // index 64 + o - 16); word 2 l + 1 <- lane l's block's d (bytes 20 k) or
    // m (bytes 20 k + 2), even words zero
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      const int o = 20 * (i / 16) + 4 + i % 16;
      return o < 64 ? o : o + 48;
    });
    alignas(64) static constexpr auto spread_d = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      return 10 * (i / 8);
    });
    alignas(64) static constexpr auto spread_m = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      return 10 * (i / 8) + 1;
    });
    __m512i gi = _mm512_load_si512(gather.data());
    __m512i di = _mm512_load_si512(spread_d.data()), mi = _mm512_load_si512(spread_m.data());
    __m512i m4 = _mm512_set1_epi8(15);

    qdetail::nibble_min_codes operator()(const std::uint8_t* bytes) const {
      __m512i s0 = _mm512_loadu_si512(bytes);
      qdetail::pin(s0);  // for the scales' vpermw, not more loads
      const __m512i s1 = _mm512_loadu_si512(bytes + 16);
      const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
      return {_mm512_and_si512(q, m4), qdetail::high_nibbles(q),
              qdetail::f16_scales(_mm512_maskz_permutexvar_epi16(0xaaaaaaaa, di, s0)),
              qdetail::f16_scales(_mm512_maskz_permutexvar_epi16(0xaaaaaaaa, mi, s0))};
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
