// q4_0's AVX2 int8 decode (GLM4_GEMV_AVX2): two blocks per step, their 16
// code bytes in the two 128-bit lanes, unpacked to & 15 and >> 4 & 15 and
// the two f16 scales; against q8x4_act, the -8 correction from its corr
// (x86/q8x4_avx2.hpp). gemv_dot: R rows (1 or 2) for one token; gemv_tile:
// a chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  static constexpr auto& unpack = qdetail::nibble_codes<block>;
  static constexpr auto& apply = qdetail::apply_offset_codes;
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
