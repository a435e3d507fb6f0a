// q4_1's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's kernel
// (x86/q8x4_avx2.hpp) with unsigned codes and no correction, plus the
// minimum: each lane's activation sum (q8x4_act's corr, prepared with offset
// -1) times m dx, the two m spread as the two d are. Its tile for a few
// tokens unpacks each step once, as q4_0's.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_1/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  struct unpacked {
    qdetail::q8x4_codes codes;  // codes 0..15 and the scales
    __m256 mw;                  // the minimums, four lanes each
  };

  static unpacked unpack(const block* b) {
    unpacked u;
    qdetail::nibble_pair(b[0].qs, b[1].qs, u.codes.lo, u.codes.hi);
    u.codes.dw = qdetail::f16_pair(b[0].d, b[1].d);
    u.mw = qdetail::f16_pair(b[0].m, b[1].m);
    return u;
  }

  // Step p (blocks 2 p, 2 p + 1) of one token into acc.
  static __m256 apply(const unpacked& u, const gemv_activation* a, std::size_t p, __m256 acc) {
    const gemv_activation& x = a[p / 2];
    const std::size_t h = p % 2;
    const __m256i isum = qdetail::q8x4_sums(u.codes, x, h);
    const __m256i asum = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
    const __m256 dx = _mm256_load_ps(x.d + 8 * h);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.codes.dw, dx), acc);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(asum), _mm256_mul_ps(u.mw, dx), acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
