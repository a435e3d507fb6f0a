// What the AVX2 int8 decode kernels of the 32-value formats with unsigned
// codes share (q4_0, q5_0, q4_1, q5_1: their decode_avx2.hpp): two blocks per
// step, block k's codes in 128-bit lane k, against q8x4_act's lo and hi
// bytes of the same two blocks (lo[32 h ..], hi[32 h ..]).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f16.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// A step's weights, unpacked: values 0-15 (lo) and 16-31 (hi) of block k as
// bytes in lane k, and the two blocks' scales, four lanes each.
struct q8x4_codes {
  __m256i lo, hi;
  __m256 dw;
};

// Two f16 values spread to four float lanes each (one vpshufb, vcvtph2ps).
inline __m256 f16_pair(quant::f16::block b0, quant::f16::block b1) {
  const __m128i spread = _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
  const int pair = static_cast<int>(b0.bits | std::uint32_t{b1.bits} << 16);
  return _mm256_cvtph_ps(_mm_shuffle_epi8(_mm_cvtsi32_si128(pair), spread));
}

// Two blocks' 16 code bytes, one per lane, split into low and high nibbles.
inline void nibble_pair(const std::uint8_t* qs0, const std::uint8_t* qs1, __m256i& lo, __m256i& hi) {
  const __m256i m4 = _mm256_set1_epi8(15);
  const __m256i q = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs1)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs0)));
  lo = _mm256_and_si256(q, m4);
  hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
}

// A step's low four bits of each code and its scales, for any 32-value
// block with qs and d (q4_0; q5_0 adds the fifth bits).
template <class Block>
q8x4_codes nibble_codes(const Block* b) {
  q8x4_codes u;
  nibble_pair(b[0].qs, b[1].qs, u.lo, u.hi);
  u.dw = f16_pair(b[0].d, b[1].d);
  return u;
}

// The fifth bits of the two blocks (h0, h1: bit j is value j's) or-ed into
// their codes as 16 (q5_0, q5_1): ggml's bytes_from_bits for both blocks
// from one broadcast of their 64 bits, each lane's bytes picking their
// block's bit (a byte of the bits, or-ed with every other bit, == 0xff).
inline void add_fifth_bits(q8x4_codes& u, std::uint32_t h0, std::uint32_t h1) {
  const __m256i bits = _mm256_set1_epi64x(static_cast<long long>(h0 | std::uint64_t{h1} << 32));
  const __m256i other_bits = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
  const auto as_16 = [&](__m256i spread) {
    const __m256i set = _mm256_cmpeq_epi8(_mm256_or_si256(_mm256_shuffle_epi8(bits, spread), other_bits),
                                          _mm256_set1_epi8(-1));
    return _mm256_and_si256(set, _mm256_set1_epi8(16));
  };
  // lane k of lo: block k's values 0-15 (bytes 4 k, 4 k + 1 of bits), of hi:
  // its values 16-31 (bytes 4 k + 2, 4 k + 3)
  u.lo = _mm256_or_si256(u.lo, as_16(_mm256_set_epi64x(0x0505050505050505, 0x0404040404040404,
                                                        0x0101010101010101, 0)));
  u.hi = _mm256_or_si256(u.hi, as_16(_mm256_set_epi64x(0x0707070707070707, 0x0606060606060606,
                                                        0x0303030303030303, 0x0202020202020202)));
}

// The two blocks' integer sums for one token, 4 int32 lanes per block: two
// vpmaddubsw (codes at most 31: each int16 at most 2 * 31 * 127), added,
// one vpmaddwd.
inline __m256i q8x4_sums(const q8x4_codes& u, const q8x4_act& x, std::size_t h) {
  const __m256i xlo = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.lo + 32 * h));
  const __m256i xhi = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.hi + 32 * h));
  const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(u.lo, xlo), _mm256_maddubs_epi16(u.hi, xhi));
  return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
}

// Step p (blocks 2 p, 2 p + 1) of one token into acc, for codes stored
// with an offset (q4_0: 8, q5_0: 16) that q8x4_act's corr takes back.
inline __m256 apply_offset_codes(const q8x4_codes& u, const q8x4_act* a, std::size_t p, __m256 acc) {
  const q8x4_act& x = a[p / 2];
  const std::size_t h = p % 2;
  const __m256i corr = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
  const __m256i isum = _mm256_add_epi32(q8x4_sums(u, x, h), corr);
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.dw, _mm256_load_ps(x.d + 8 * h)), acc);
}

// A step of a format with a minimum (q4_1, q5_1): x = dw q + m.
struct q8x4_min_codes {
  q8x4_codes codes;  // codes from 0 and the scales
  __m256 mw;         // the minimums, four lanes each
};

// nibble_codes with the blocks' minimums (q4_1; q5_1 adds the fifth bits).
template <class Block>
q8x4_min_codes nibble_min_codes(const Block* b) {
  return {nibble_codes(b), f16_pair(b[0].m, b[1].m)};
}

// Step p (blocks 2 p, 2 p + 1) of one token into acc, for codes with a
// minimum: q8x4_act's corr (prepared with offset -1) holds each lane's
// activation sum, scaled by m dx.
inline __m256 apply_min_codes(const q8x4_min_codes& u, const q8x4_act* a, std::size_t p, __m256 acc) {
  const q8x4_act& x = a[p / 2];
  const std::size_t h = p % 2;
  const __m256i isum = q8x4_sums(u.codes, x, h);
  const __m256i asum = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
  const __m256 dx = _mm256_load_ps(x.d + 8 * h);
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.codes.dw, dx), acc);
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(asum), _mm256_mul_ps(u.mw, dx), acc);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
