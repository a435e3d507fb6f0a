// q4_1's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's kernel
// (x86/q8x4_avx2.hpp) with unsigned codes and no correction, plus the
// minimum: each lane's activation sum (q8x4_act's corr, prepared with offset
// -1) times m dx, the two m spread as the two d are. Its tile for a few
// tokens unpacks each step once, as q4_0's.
#pragma once

#include <immintrin.h>

#include "glm4/kernels/q4_1/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  static constexpr auto& unpack = qdetail::nibble_min_codes<block>;
  static constexpr auto& apply = qdetail::apply_min_codes;
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
