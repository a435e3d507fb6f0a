// q5_1's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_1's (codes from 0, the
// minimum times each lane's activation sum) with q5_0's fifth bits
// (x86/q8x4_avx2.hpp). Codes up to 31 keep vpmaddubsw's int16 sums exact.
// GLM-4's Q5_K_S and Q5_K_M files store ffn_down in q5_1.
#pragma once

#include <immintrin.h>

#include "glm4/kernels/q5_1/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  static qdetail::q8x4_min_codes unpack(const block* b) {
    qdetail::q8x4_min_codes u = qdetail::nibble_min_codes(b);
    qdetail::add_fifth_bits(u.codes, high_bits(b[0]), high_bits(b[1]));
    return u;
  }
  static constexpr auto& apply = qdetail::apply_min_codes;
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_1_kernels
