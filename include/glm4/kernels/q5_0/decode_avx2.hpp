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
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
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
  static constexpr auto& apply = qdetail::apply_offset_codes;
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
