// The AVX-512 VNNI int16 loops of the 32-value formats (q8_0, q4_0, q5_0,
// q4_1, q5_1; GLM4_QDOT_AVX512VNNI: their dot_avx512vnni.hpp): one row, and
// a tile of 4 rows x T tokens.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

//   sum_b dw[b] dx[b] * isum[b],   isum[b] = sum_j v[j] a[b].qs[j]   (int32)
//
// where codes(w[b]) gives the block's 32 weight values v (|v| <= 128) as
// int8 in value order. Widened to int16, one vpdpwssd makes isum's partial
// sums exactly: |isum| <= 32 * 128 * 32767 < 2^28. Blocks with a minimum
// m (q4_1, q5_1: x = dw v + m) add m dx * asum, asum = sum_j a[b].qs[j]
// (|asum| < 2^20) from one more vpdpwssd, against ones. Two blocks per
// iteration keep two independent float accumulator chains.
template <class Block, class Codes>
inline float dot_blocks32(const Block* w, const q16_act* a, std::size_t nb, Codes codes) {
  const __m512i ones = _mm512_set1_epi16(1);
  const auto block = [&](std::size_t b, __m512 acc) {
    const __m512i x = _mm512_loadu_si512(a[b].qs);
    const __m512i p = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_cvtepi8_epi16(codes(w[b])), x);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_set1_ps(half_to_float(w[b].d) * a[b].d), acc);
    if constexpr (requires { w[b].m; }) {
      const __m512i asum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), ones, x);
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(asum), _mm512_set1_ps(half_to_float(w[b].m) * a[b].d), acc);
    }
    return acc;
  };
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  std::size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    acc0 = block(b, acc0);
    acc1 = block(b + 1, acc1);
  }
  if (b < nb) acc0 = block(b, acc0);
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// The tile form of dot_blocks32 (dot_traits<F>::dot_tile<4, T>): 4 weight
// rows x T activation rows. Per block, codes4 puts the 4 rows' values in
// "row lanes": 128-bit lane r of e[k] holds row r's values 8k .. 8k + 7 as
// int16 (times `unit`, a power of two the float scale divides out), so one
// vpdpwssd against the activations' values 8k .. 8k + 7 broadcast to the
// four lanes (vbroadcasti32x4, a load) serves all four rows, and no value
// crosses a 128-bit lane (vpunpck*bw, not the cross-lane vpmov*xbw). The
// four rows' block scales are one vector: lanes 4r .. 4r + 3 hold
// dw[r] * dx * unit^-1, so one cvt + fmadd per block and token does the
// float work of four rows. Per lane and block: 8 products of
// |e| <= 4096 (callers keep |unit * v| <= 4096, or |v| <= 128 with
// unit 1) and |a| <= 32767: below 2^31. out[t * 4 + r].
template <std::size_t T, class Block, class Codes4>
inline void tile4_blocks32(const Block* w, std::size_t w_stride, const q16_act* a, std::size_t a_stride, std::size_t nb,
                           float inv_unit, float* out, Codes4 codes4) {
  const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  const Block* w0 = w;
  const Block* w1 = w + w_stride;
  const Block* w2 = w + 2 * w_stride;
  const Block* w3 = w + 3 * w_stride;
  __m512 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    // Four rows are four DRAM streams a row apart, each too short (a few
    // KiB) for the hardware prefetcher: fetch the next four rows (the
    // next tile, contiguous) as one sequential stream, 4 blocks per block.
    // Measured (Zen 4, 1 thread, 4096 x 4096 from DRAM): q4_0 decode 8.1
    // GB/s without, 14.8 with, against 11.5 for dot one row at a time.
    // Past the matrix end a prefetch is a no-op.
    {
      const std::uintptr_t next = reinterpret_cast<std::uintptr_t>(w) + (4 * w_stride + 4 * b) * sizeof(Block);
      for (std::size_t off = 0; off < 4 * sizeof(Block); off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(next + off), _MM_HINT_T0);
    }
    __m512i e[4];
    codes4(w0[b], w1[b], w2[b], w3[b], e);
    // the four f16 scales through a general register (scalar ports), one vmovq
    const std::uint64_t d4 = std::uint64_t{w0[b].d.bits} | std::uint64_t{w1[b].d.bits} << 16 |
                             std::uint64_t{w2[b].d.bits} << 32 | std::uint64_t{w3[b].d.bits} << 48;
    const __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(d4)));
    const __m512 dw16 = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(dw));
    for (std::size_t t = 0; t < T; ++t) {
      const q16_act& x = a[t * a_stride + b];
      __m512i p = _mm512_dpwssd_epi32(_mm512_setzero_si512(), e[0],
                                      _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)x.qs)));
      p = _mm512_dpwssd_epi32(p, e[1], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x.qs + 8))));
      p = _mm512_dpwssd_epi32(p, e[2], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x.qs + 16))));
      p = _mm512_dpwssd_epi32(p, e[3], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x.qs + 24))));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dw16, _mm512_set1_ps(x.d * inv_unit)), acc[t]);
    }
  }
  for (std::size_t t = 0; t < T; ++t) {
    alignas(64) float l[16];
    _mm512_store_ps(l, acc[t]);
    for (int r = 0; r < 4; ++r) out[t * 4 + r] = (l[4 * r] + l[4 * r + 1]) + (l[4 * r + 2] + l[4 * r + 3]);
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
