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

template <>
struct int8_decode<int8_family::avx512vbmi> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // byte i <- qs[i % 32] of block i / 32 (bytes 34 k + 2 ..); word 2 l + 1
    // <- lane l's block's scale (bytes 34 k), even words zero
    alignas(64) static constexpr auto gather =
        qdetail::lane_table<std::uint8_t, 64>([](int i) { return 34 * (i / 32) + 2 + i % 32; });
    alignas(64) static constexpr auto spread =
        qdetail::lane_table<std::uint16_t, 32>([](int i) { return 17 * (i / 16); });
    const __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    qdetail::gemv_rows<R, 68>(
        w, w_stride * sizeof(block), a, n / 64, out,
        [&](const std::uint8_t* bytes, const qdetail::q8x2_regs& x, __m512 acc) {
          __m512i s0 = _mm512_loadu_si512(bytes);
          qdetail::pin(s0);  // for the scales' vpermw, not a second load
          const __m512i s1 =
              _mm512_castsi128_si512(_mm_cvtsi32_si128(*reinterpret_cast<const std::int32_t*>(bytes + 64)));
          const __m512i u = _mm512_xor_si512(_mm512_permutex2var_epi8(s0, gi, s1), flip);
          return qdetail::add_scaled(_mm512_dpbusd_epi32(x.corr, u, x.qs),
                                     _mm512_maskz_permutexvar_epi16(0xaaaaaaaa, si, s0), x.d, acc);
        },
        qdetail::f16_unfold);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
