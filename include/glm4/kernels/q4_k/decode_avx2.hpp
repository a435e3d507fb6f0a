// q4_k's int8 decode (one token) on AVX2 (GLM4_GEMV_AVX2), and its loop,
// which q5_k's x86 decode shares.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/q4_k/x86.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// The AVX2 int8 decode of the super-blocks with q4_k's scales and mins
// (q4_k, q5_k): per sub-block s (chunk s / 2's low or high codes against
// q8k_act's 32 activations of s), one vpmaddubsw and one vpmaddwd by its
// scale (a vpshufb of the unpacked scales: word <- byte s, high byte zero),
// added in int32 (codes at most 31: 8 * 2 * 7874 * 63 < 2^23 a lane); the
// min term over 8 lanes, mins times q8k_act::dsum[8 ..]. codes(b) gives a
// function of the chunk c returning its chunk_codes (q4_k/x86.hpp).
// The operands come from a source: decode's computes each where it is used
// (scale_min_block, the registers stay few), the tile's holds a super-block
// unpacked once for its T tokens (scale_min_unpacked); either way each
// token's arithmetic is apply_scale_min's, so the two agree bit for bit.
template <class Block, class Chunks>
struct scale_min_block {
  const Block& b;
  Chunks chunk;                          // chunk(c): chunk c's codes
  __m128i sm = unpack_scales(b.scales);  // scales 0-7, mins 0-7
  __m256i sc = _mm256_broadcastsi128_si256(sm);

  __m256i scale(int s) const {
    return _mm256_shuffle_epi8(sc, _mm256_set1_epi16(static_cast<std::int16_t>(0x8000 | s)));
  }
  __m256 mins() const { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))); }
  float d() const { return qdetail::half_to_float(b.d); }
  float dmin() const { return qdetail::half_to_float(b.dmin); }
};

template <class Block, class Codes>
scale_min_block<Block, std::invoke_result_t<Codes, const Block&>> scale_min_source(const Block& b, Codes codes) {
  return {b, codes(b)};
}

struct scale_min_unpacked {
  chunk_codes chunks[4];
  __m256i scales[8];  // sub-block s's scale in every int16 lane
  __m256 min_values;
  float d_value, dmin_value;

  template <class Source>
  explicit scale_min_unpacked(const Source& src) : min_values(src.mins()), d_value(src.d()), dmin_value(src.dmin()) {
    for (int c = 0; c < 4; ++c) chunks[c] = src.chunk(c);
    for (int s = 0; s < 8; ++s) scales[s] = src.scale(s);
  }
  const chunk_codes& chunk(int c) const { return chunks[c]; }
  __m256i scale(int s) const { return scales[s]; }
  __m256 mins() const { return min_values; }
  float d() const { return d_value; }
  float dmin() const { return dmin_value; }
};

// Each sub-block's 32 activations are read from q8k_act::at(s, 0).
static_assert(!q8k_paired_lanes);

// Super-block sb of one token into acc.
template <class Source>
inline __m256 apply_scale_min(const Source& u, const q8k_act* a, std::size_t sb, __m256 acc) {
  const q8k_act& x = a[sb];
  __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    // a reference: GCC 12 copies the unpacked codes through the stack in
    // 128-bit halves, and each 256-bit load of the copy stalls on Intel cores
    // (a tile of 8 tokens 7x slower on Sapphire Rapids)
    const chunk_codes& codes = u.chunk(c);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const int s = 2 * c + h;
      const auto* xs = reinterpret_cast<const __m256i*>(x.at(static_cast<std::size_t>(s), 0));
      const __m256i pairs = _mm256_maddubs_epi16(codes.sub[h], _mm256_load_si256(xs));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, u.scale(s)));
    }
  }
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u.d() * x.d), acc);
  return _mm256_fnmadd_ps(_mm256_mul_ps(u.mins(), _mm256_load_ps(x.dsum + 8)), _mm256_set1_ps(u.dmin()), acc);
}

template <std::size_t R, class Block, class Codes>
void avx2_scale_min_gemv(const Block* w, std::size_t w_stride, const q8k_act* a, std::size_t n, float* out,
                         Codes codes) {
  qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const Block* b, std::size_t sb, __m256 acc) {
    return apply_scale_min(scale_min_source(*b, codes), a, sb, acc);
  });
}

// The tile (matmul_rows.hpp's has_gemv_tile): values [c0, c1) of one row.
template <std::size_t T, class Block, class Codes>
void avx2_scale_min_tile(const Block* w, const q8k_act* a, std::size_t a_stride, std::size_t c0, std::size_t c1,
                         __m256* acc, std::size_t ahead, Codes codes) {
  qdetail::avx2_gemv_tile<T, 1>(
      w, c0 / 256, c1 / 256, a, a_stride, acc, ahead,
      [&](const Block* b) { return scale_min_unpacked(scale_min_source(*b, codes)); },
      apply_scale_min<scale_min_unpacked>);
}

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  static constexpr auto codes = [](const block& b) {
    return [&b](int c) {
      const __m256i m4 = _mm256_set1_epi8(15);
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
      return chunk_codes{{_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)}};
    };
  };

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    avx2_scale_min_gemv<R>(w, w_stride, a, n, out, codes);
  }

  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc, std::size_t ahead) {
    avx2_scale_min_tile<T>(w, a, a_stride, c0, c1, acc, ahead, codes);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
