// q8_0's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): R rows (1 or 2)
// at a time, two blocks (68 bytes) per step against q8x2_act. One vpermt2b
// gathers the two blocks' 64 codes, ^ 0x80 makes them unsigned (q + 128,
// the -128 correction starts the sum), one vpdpbusd, and one vpermw spreads
// the two f16 scales to their lanes (add_scaled): 9 vector instructions per
// 68 bytes.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q8_0/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

// Two blocks' codes (unsigned, q + 128) and their scales, per lane.
struct codes_and_scales {
  __m512i q;
  __m512 dw;
};

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x2_act, 68, 64> {
  static constexpr float unfold = qdetail::f16_unfold;

  struct unpacker {
    // byte i <- qs[i % 32] of block i / 32 (bytes 34 k + 2 ..); word 2 l + 1
    // <- lane l's block's scale (bytes 34 k), even words zero
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      return 34 * (i / 32) + 2 + i % 32;
    });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      return 17 * (i / 16);
    });
    __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));

    codes_and_scales operator()(const std::uint8_t* bytes) const {
      __m512i s0 = _mm512_loadu_si512(bytes);
      qdetail::pin(s0);  // for the scales' vpermw, not a second load
      const __m512i s1 = _mm512_castsi128_si512(_mm_cvtsi32_si128(*reinterpret_cast<const std::int32_t*>(bytes + 64)));
      return {_mm512_xor_si512(_mm512_permutex2var_epi8(s0, gi, s1), flip),
              qdetail::f16_scales(_mm512_maskz_permutexvar_epi16(0xaaaaaaaa, si, s0))};
    }
  };

  static __m512 apply(const codes_and_scales& u, const qdetail::q8x2_regs& x, __m512 acc) {
    return qdetail::add_scaled(_mm512_dpbusd_epi32(x.corr, u.q, x.qs), u.dw, x.d, acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
