// What q4_k's x86 kernels share, in AVX2 instructions (every x86 target of
// theirs has them): the scale unpacking in one register (decode) and the min
// term of the int16 dots.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f16.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// qdetail::unpack_q4_k_scales in one register: the 32-bit words u0, u1,
// u2 of the 12 bytes (the load's last 4 bytes are codes, unused) become
//   [u0 & k1, (u2 & k2) | ((u0 >> 6) & k3) << 4, u1 & k1, ((u2 >> 4) & k2) | ((u1 >> 6) & k3) << 4]
// (scales 0-3, 4-7, mins 0-3, 4-7), with no trip through memory.
inline __m128i unpack_scales(const std::uint8_t* packed) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
  const __m128i lo =
      _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)), _mm_setr_epi32(0, 0, 0, 4)),
                    _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  const __m128i hi = _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)), 6),
                                                  _mm_setr_epi32(0, 0x03030303, 0, 0x03030303)),
                                    4);
  return _mm_or_si128(lo, hi);
}

// The int16 dots' min term of one super-block, into 8 float lanes: the 8
// sub-block sums of the activations x times the 8 unpacked mins (each
// < 2^27), times dx dmin.
inline __m256 add_min_term(__m256 accm, const std::uint8_t* mins, const q16k_act& x, quant::f16::block dmin) {
  const __m256i prod = _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)mins)),
                                          _mm256_loadu_si256((const __m256i*)x.sums));
  return _mm256_fmadd_ps(_mm256_set1_ps(x.d * qdetail::half_to_float(dmin)), _mm256_cvtepi32_ps(prod), accm);
}

// One chunk's codes as the x86 loops of q4_k and q5_k take them: sub[0]
// the 32 of sub-block 2c, sub[1] those of 2c + 1, as bytes.
struct chunk_codes {
  __m256i sub[2];
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
