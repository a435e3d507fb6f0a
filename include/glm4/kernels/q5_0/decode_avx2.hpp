// q5_0's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's (x86/q8x4_avx2.hpp)
// with each code's fifth bit from qh or-ed in as 16 (add_fifth_bits); the
// -16 correction from q8x4_act's corr. gemv_dot: R rows (1 or 2) for one
// token; gemv_tile: a chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include "glm4/kernels/q5_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  static qdetail::q8x4_codes unpack(const block* b) {
    qdetail::q8x4_codes u = qdetail::nibble_codes(b);
    qdetail::add_fifth_bits(u, high_bits(b[0]), high_bits(b[1]));
    return u;
  }
  static constexpr auto& apply = qdetail::apply_offset_codes;
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_0_kernels
