// q5_0's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's (x86/q8x4_avx2.hpp)
// with each code's fifth bit from qh (bit j of a block is value j's),
// spread to bytes by ggml's bytes_from_bits and or-ed in as 16; the -16
// correction from q8x4_act's corr. gemv_dot: R rows (1 or 2) for one token;
// gemv_tile: a chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q5_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/nibbles.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  static qdetail::q8x4_codes unpack(const block* b) {
    qdetail::q8x4_codes u;
    qdetail::nibble_pair(b[0].qs, b[1].qs, u.lo, u.hi);
    const std::uint32_t h0 = high_bits(b[0]), h1 = high_bits(b[1]);
    const __m256i sixteen = _mm256_set1_epi8(16);
    // lane k of lo: block k's values 0-15, of hi: its values 16-31
    u.lo = _mm256_or_si256(u.lo, _mm256_and_si256(qdetail::bytes_from_bits((h0 & 0xffff) | h1 << 16), sixteen));
    u.hi = _mm256_or_si256(u.hi, _mm256_and_si256(qdetail::bytes_from_bits(h0 >> 16 | (h1 & 0xffff0000)), sixteen));
    u.dw = qdetail::f16_pair(b[0].d, b[1].d);
    return u;
  }

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::avx2_gemv_rows<R, 2>(w, w_stride, n / 64, out, [&](const block* b, std::size_t p, __m256 acc) {
      return qdetail::apply_offset_codes(unpack(b), a, p, acc);
    });
  }

  // The tile (matmul_rows.hpp's has_gemv_tile): values [c0, c1) of one row.
  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc) {
    qdetail::avx2_gemv_tile<T, 2>(w, c0 / 64, c1 / 64, a, a_stride, acc, unpack, qdetail::apply_offset_codes);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
