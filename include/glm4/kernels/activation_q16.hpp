// 16-bit activation blocks for the integer dot products of the quantized
// formats: the activation row is quantized once per matmul, then every weight
// row is an exact int16 x int16 -> int32 dot product per block, scaled in
// float (ggml's scheme, with int16 in place of ggml's int8 activations).
//
//   q16_act   32 values  {float d; int16 qs[32]}                for q8_0, q4_0, q5_0
//   q16k_act 256 values  {float d; int16 qs[256]; int32 sums[8]}     k-quants
//
//   x[j] ~= d * qs[j],  d = max_j |x[j]| / 32767,  qs[j] = round(x[j] * 32767 / amax)
//
// Why 16 bits: the rounding error of an activation is at most d / 2 =
// amax / 65534, 258 times below int8's amax / 254. With int8 activations the
// logits of the GGUF fixtures drift past llama.cpp's own error; with int16
// the weights' quantization error is the only one that shows. The integer
// products stay exact (pmaddwd / vpdpwssd / vmlal_s16), so the cost over
// float activations is only the activation bytes, which stay in L1.
//
// Rounding is to nearest, ties to even (the SIMD convert's mode), and the
// range is the symmetric [-32767, 32767]: |x * 32767 / amax| <= 32767 for
// every x of the block, so -32768 never occurs and every overflow bound in
// the kernels can use |qs| <= 32767. d stays f32, so the activation error is
// only the int16 rounding. sums[s] is the sum of qs[32 s .. 32 s + 31]
// (|sums| <= 32 * 32767, needs int32): q4_k's min term uses it.
//
// Also here: helpers shared by the dot_q*.hpp kernels (f16 scale to float,
// the portable int8 x int16 dot product, nibble unpacking).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/f16.hpp"

#if defined(__AVX2__) || defined(__AVX512F__) || defined(__F16C__)
#include <immintrin.h>
#endif

// Which integer kernel family the x86 dot_q*.hpp compile (GLM4_QDOT_*):
// kernels/targets.hpp.

namespace glm4::inline GLM4_TARGET::kernels {

struct q16_act {
  float d;
  std::int16_t qs[32];
};
static_assert(sizeof(q16_act) == 68);

struct q16k_act {
  float d;
  std::int16_t qs[256];
  std::int32_t sums[8];
};
static_assert(sizeof(q16k_act) == 548);

namespace qdetail {

// An f16 block scale as float: one instruction where the target has it.
inline float half_to_float(quant::f16::block h) {
#if defined(__F16C__)
  return _cvtsh_ss(h.bits);
#elif defined(__aarch64__)
  __fp16 v;
  std::memcpy(&v, &h.bits, sizeof v);
  return static_cast<float>(v);
#else
  return quant::f16::to_float(h);
#endif
}

// Scalar quantization of one block of `len` values (the reference).
inline float quantize_block_reference(const float* x, std::int16_t* q, std::size_t len) {
  float amax = 0.0f;
  for (std::size_t j = 0; j < len; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 32767.0f / amax : 0.0f;
  for (std::size_t j = 0; j < len; ++j) q[j] = static_cast<std::int16_t>(std::nearbyint(x[j] * id));
  return amax / 32767.0f;
}

// The same with Highway: max |x| over the block, then NearestInt(x * id)
// (ties to even, like nearbyint) narrowed to int16. `len` is 32 or 256.
inline float quantize_block(const float* x, std::int16_t* q, std::size_t len) {
#if HWY_TARGET == HWY_SCALAR
  return quantize_block_reference(x, q, len);
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int16_t, decltype(df)> d16;
  const std::size_t N = hn::Lanes(df);
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < len; j += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  const float id = amax != 0.0f ? 32767.0f / amax : 0.0f;
  const auto vid = hn::Set(df, id);
  for (std::size_t j = 0; j < len; j += N)
    hn::StoreU(hn::DemoteTo(d16, hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid))), d16, q + j);
  return amax / 32767.0f;
#endif
}

inline void fill_sums(q16k_act& a) {
  for (int s = 0; s < 8; ++s) {
    std::int32_t sum = 0;
    for (int j = 0; j < 32; ++j) sum += a.qs[32 * s + j];
    a.sums[s] = sum;
  }
}

// sum_{i < n} w[i] * a[i] for int8 weight values and int16 activations, n a
// multiple of 8; exact while the caller's bound n * max|w| * 32767 < 2^31.
// The portable building block of every kernel's fallback path: Highway's
// PromoteTo + ReorderWidenMulAccumulate, which on NEON is vmovl_s8 and
// vmlal_s16 / vmlal_high_s16, on x86 pmaddwd.
inline std::int32_t idot(const std::int8_t* w, const std::int16_t* a, std::size_t n) {
#if HWY_TARGET == HWY_SCALAR
  std::int32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += w[i] * a[i];
  return s;
#else
  const hn::FixedTag<std::int32_t, 4> d32;
  const hn::FixedTag<std::int16_t, 8> d16;
  const hn::FixedTag<std::int8_t, 8> d8;
  auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
  for (std::size_t i = 0; i < n; i += 8)
    s0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, w + i)), hn::LoadU(d16, a + i), s0, s1);
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(s0, s1)));
#endif
}

// nbytes (a multiple of 16) packed bytes -> their low nibbles in lo[] and
// high nibbles in hi[], as int8 minus `offset` (8 for q4_0, 0 otherwise).
inline void split_nibbles(const std::uint8_t* p, std::size_t nbytes, std::int8_t* lo, std::int8_t* hi, int offset) {
#if HWY_TARGET == HWY_SCALAR
  for (std::size_t j = 0; j < nbytes; ++j) {
    lo[j] = static_cast<std::int8_t>((p[j] & 15) - offset);
    hi[j] = static_cast<std::int8_t>((p[j] >> 4) - offset);
  }
#else
  const hn::FixedTag<std::uint8_t, 16> du;
  const hn::FixedTag<std::int8_t, 16> di;
  const auto off = hn::Set(di, static_cast<std::int8_t>(offset));
  for (std::size_t j = 0; j < nbytes; j += 16) {
    const auto v = hn::LoadU(du, p + j);
    hn::StoreU(hn::Sub(hn::BitCast(di, hn::And(v, hn::Set(du, 15))), off), di, lo + j);
    hn::StoreU(hn::Sub(hn::BitCast(di, hn::ShiftRight<4>(v)), off), di, hi + j);
  }
#endif
}

// Horizontal sums of the x86 kernels' float accumulators.
#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
inline float hsum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}
#endif

// The x86 loop shared by the 32-value formats (q8_0, q4_0, q5_0):
//
//   sum_b dw[b] dx[b] * isum[b],   isum[b] = sum_j v[j] a[b].qs[j]   (int32)
//
// where codes(w[b]) gives the block's 32 weight values v (|v| <= 128) as
// int8 in value order. Widened to int16, one vpdpwssd (or two pmaddwd) makes
// isum's partial sums exactly: |isum| <= 32 * 128 * 32767 < 2^28. Two
// blocks per iteration keep two independent float accumulator chains.
#if defined(GLM4_QDOT_AVX512VNNI)
template <class Block, class Codes>
inline float dot_blocks32(const Block* w, const q16_act* a, std::size_t nb, Codes codes) {
  const auto block = [&](std::size_t b, __m512 acc) {
    const __m512i p =
        _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_cvtepi8_epi16(codes(w[b])), _mm512_loadu_si512(a[b].qs));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_set1_ps(half_to_float(w[b].d) * a[b].d), acc);
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

// Row lanes from four 16-byte pieces (one per row): lane r = row r's bytes.
inline __m512i row_lanes(const void* p0, const void* p1, const void* p2, const void* p3) {
  const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)p0)),
                                             _mm_loadu_si128((const __m128i*)p1), 1);
  const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)p2)),
                                             _mm_loadu_si128((const __m128i*)p3), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// int8 values v (row lanes: bytes 0-15 of lane r are row r's values c ..
// c + 15) to 256 v as int16 in two vectors (values c .. c + 7, c + 8 ..
// c + 15 per lane): the byte goes to the high half, exact for any int8.
inline void widen_x256(__m512i v, __m512i* e) {
  e[0] = _mm512_unpacklo_epi8(_mm512_setzero_si512(), v);
  e[1] = _mm512_unpackhi_epi8(_mm512_setzero_si512(), v);
}
#elif defined(GLM4_QDOT_AVX2)
template <class Block, class Codes>
inline float dot_blocks32(const Block* w, const q16_act* a, std::size_t nb, Codes codes) {
  const auto block = [&](std::size_t b, __m256 acc) {
    const __m256i v = codes(w[b]);
    const __m256i lo =
        _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)), _mm256_loadu_si256((const __m256i*)a[b].qs));
    const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)),
                                         _mm256_loadu_si256((const __m256i*)(a[b].qs + 16)));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(lo, hi)), _mm256_set1_ps(half_to_float(w[b].d) * a[b].d),
                           acc);
  };
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    acc0 = block(b, acc0);
    acc1 = block(b + 1, acc1);
  }
  if (b < nb) acc0 = block(b, acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}
#endif

}  // namespace qdetail

// activation / prepare for formats with 32-value blocks.
struct q16_activation {
  using activation = q16_act;
  static constexpr std::size_t activation_block_elems = 32;
  static void prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 32; ++b) a[b].d = qdetail::quantize_block(x + 32 * b, a[b].qs, 32);
  }
  static void reference_prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 32; ++b) a[b].d = qdetail::quantize_block_reference(x + 32 * b, a[b].qs, 32);
  }
};

// activation / prepare for the k-quants' 256-value super-blocks.
struct q16k_activation {
  using activation = q16k_act;
  static constexpr std::size_t activation_block_elems = 256;
  static void prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 256; ++b) {
      a[b].d = qdetail::quantize_block(x + 256 * b, a[b].qs, 256);
      qdetail::fill_sums(a[b]);
    }
  }
  static void reference_prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 256; ++b) {
      a[b].d = qdetail::quantize_block_reference(x + 256 * b, a[b].qs, 256);
      qdetail::fill_sums(a[b]);
    }
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
