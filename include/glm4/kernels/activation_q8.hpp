// 8-bit activation blocks: ggml's q8_0 scheme (x[j] ~= d * qs[j], d =
// max |x| / 127, round to nearest) with an f32 scale, in two layouts:
//
//   q8_act     32 values {d, dsum = d * sum qs, qs[32]}: the prefill panels
//              (int8_panel.hpp)
//   q8x4_act  128 values laid out for the decode kernels that gather four
//              weight blocks at a time (dot_q4_0.hpp's gemv_dot)
//
// The rounding error of a value is at most d / 2 = amax / 254 (the int16
// blocks of activation_q16.hpp: amax / 65534); it is the error llama.cpp's
// CPU kernels have, and buys twice the multiply-adds per instruction
// (vpdpbusd). kernels::activation_precision chooses between the two.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/simd.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// The int8 decode kernels gather weight bytes with vpermt2b (AVX-512 VBMI:
// Ice Lake, Zen 4 and later) and multiply with vpdpbusd (VNNI); elsewhere
// decode keeps the int16 kernels.
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VBMI__) && \
    defined(__F16C__)
#define GLM4_GEMV_AVX512VBMI 1
#endif

namespace glm4::kernels {

// 32 activations as int8: x[j] ~= d * qs[j], dsum = d * sum_j qs[j].
struct q8_act {
  float d;
  float dsum;
  std::int8_t qs[32];
};
static_assert(sizeof(q8_act) == 40);

// Four 32-value blocks of int8 activations (ggml's q8_0 rounding, f32
// scales) in the order of the decode kernels that gather four weight blocks
// at a time (dot_q4_0.hpp's gemv_dot): dword lane l covers block l / 4,
//   lo[4 l .. 4 l + 3] = that block's values 4 (l % 4) .. + 3, hi the same + 16,
//   corr[l] = -offset * (the sum of those 8 values), where a kernel of
//   unsigned codes u = q + offset starts its sums, d[l] = the block's scale.
struct alignas(64) q8x4_act {
  static constexpr std::size_t values = 128;
  std::int8_t lo[64];
  std::int8_t hi[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x4_act) == 256);

// Two 32-value blocks in value order, for decode kernels that gather two
// weight blocks at a time (dot_q8_0.hpp): dword lane l covers block l / 8,
// values 4 (l % 8) .. + 3; corr and d as in q8x4_act.
struct alignas(64) q8x2_act {
  static constexpr std::size_t values = 64;
  std::int8_t qs[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x2_act) == 192);

// A 256-value super-block for q4_k's decode kernel (dot_q4_k.hpp): its 32-
// value sub-blocks s in the order the kernel's nibble vectors hold them,
//   qs[i] = sub-blocks 4 (i / 2) + i % 2 (dword lanes 0-7) and that + 2 (8-15),
//   d[i][l] = the scale of lane l's sub-block,
//   dsum[8 + s] = d_s * sum of sub-block s's values (lanes 0-7 zero),
// so that q4_k's min term is one product with its unpacked mins.
struct alignas(64) q8k_act {
  static constexpr std::size_t values = 256;
  std::int8_t qs[4][64];
  float d[4][16];
  float dsum[16];
};
static_assert(sizeof(q8k_act) == 576);

// 256 values in value order for q6_k's decode kernel (dot_q6_k.hpp): four
// q8x2_act groups, one per 64-value vector of the kernel.
struct alignas(64) q8s_act {
  static constexpr std::size_t values = 256;
  q8x2_act part[4];
};
static_assert(sizeof(q8s_act) == 768);

namespace qdetail {

// Scalar int8 quantization of 32 values (the reference): d = amax / 127,
// qs = nearest (ties to even) of x / d, in [-127, 127].
inline void quantize_q8_reference(const float* x, q8_act& a) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    a.qs[j] = static_cast<std::int8_t>(std::nearbyint(x[j] * id));
    sum += a.qs[j];
  }
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(sum);
}

inline void quantize_q8(const float* x, q8_act& a) {
#if HWY_TARGET == HWY_SCALAR
  quantize_q8_reference(x, a);
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::int8_t, decltype(df)> d8;
  const std::size_t N = hn::Lanes(df);
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < 32; j += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  const auto vid = hn::Set(df, amax != 0.0f ? 127.0f / amax : 0.0f);
  auto vsum = hn::Zero(di);
  for (std::size_t j = 0; j < 32; j += N) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid));
    vsum = hn::Add(vsum, q);
    hn::StoreU(hn::DemoteTo(d8, q), d8, a.qs + j);
  }
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(hn::GetLane(hn::SumOfLanes(di, vsum)));
#endif
}

inline void prepare_q8x4(const float* x, q8x4_act* a, std::size_t n, int offset) {
  for (std::size_t g = 0; g < n / 128; ++g) {
    q8x4_act& out = a[g];
    for (std::size_t k = 0; k < 4; ++k) {
      q8_act b;
      quantize_q8(x + 128 * g + 32 * k, b);
      std::memcpy(out.lo + 16 * k, b.qs, 16);
      std::memcpy(out.hi + 16 * k, b.qs + 16, 16);
      for (std::size_t l = 0; l < 4; ++l) {
        int sum = 0;
        for (std::size_t j = 0; j < 4; ++j) sum += b.qs[4 * l + j] + b.qs[16 + 4 * l + j];
        out.corr[4 * k + l] = -offset * sum;
        out.d[4 * k + l] = b.d;
      }
    }
  }
}

// n activations to n / 64 q8x2_act groups.
inline void prepare_q8x2(const float* x, q8x2_act* a, std::size_t n, int offset) {
  for (std::size_t g = 0; g < n / 64; ++g) {
    q8x2_act& out = a[g];
    for (std::size_t k = 0; k < 2; ++k) {
      q8_act b;
      quantize_q8(x + 64 * g + 32 * k, b);
      std::memcpy(out.qs + 32 * k, b.qs, 32);
      for (std::size_t l = 0; l < 8; ++l) {
        out.corr[8 * k + l] = -offset * (b.qs[4 * l] + b.qs[4 * l + 1] + b.qs[4 * l + 2] + b.qs[4 * l + 3]);
        out.d[8 * k + l] = b.d;
      }
    }
  }
}

// n activations to n / 256 q8k_act super-blocks.
inline void prepare_q8k(const float* x, q8k_act* a, std::size_t n) {
  for (std::size_t sb = 0; sb < n / 256; ++sb) {
    q8k_act& out = a[sb];
    std::fill_n(out.dsum, 8, 0.0f);
    for (std::size_t s = 0; s < 8; ++s) {
      q8_act b;
      quantize_q8(x + 256 * sb + 32 * s, b);
      const std::size_t i = 2 * (s / 4) + s % 2, h = (s % 4) / 2;
      std::memcpy(out.qs[i] + 32 * h, b.qs, 32);
      std::fill_n(out.d[i] + 8 * h, 8, b.d);
      out.dsum[8 + s] = b.dsum;
    }
  }
}

#if defined(GLM4_GEMV_AVX512VBMI)
// A permute's constant index vector: table[i] = f(i).
template <class T, std::size_t N, class F>
constexpr std::array<T, N> lane_table(F f) {
  std::array<T, N> table{};
  for (std::size_t i = 0; i < N; ++i) table[i] = static_cast<T>(f(static_cast<int>(i)));
  return table;
}

// The last step of the block-group kernels: acc + isum * dw * dx, lane by
// lane, with dw the 16 lanes' f16 weight scales and dx their activation scales.
inline __m512 add_scaled(__m512i isum, __m256i dw, const float* dx, __m512 acc) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(_mm512_cvtph_ps(dw), _mm512_load_ps(dx)), acc);
}

// The loop of the int8 decode kernels (dot_q*.hpp's gemv_dot): R rows (1 or
// 2, w_stride bytes apart) of `groups` weight groups of G bytes each against
// one activation group each; step(bytes, x, acc) adds one row's group into
// its 16-lane accumulator. The R rows are one contiguous range (matmul walks
// rows in order) and the rows after them follow: the R rows after the next R
// are swept as one prefetch stream into L2, R * G bytes per step, so DRAM's
// latency (tens of steps) stays hidden. Measured on Zen 4, one thread, Q4_0
// 9B decode: the hardware prefetcher alone 12 GB/s; sweeping the next R
// rows into L1 19 GB/s; the R rows after those into L2 25 GB/s (the kernel
// computes 27 from cache). Past the matrix end a prefetch is a no-op.
template <std::size_t R, std::size_t G, class Act, class Step>
inline void gemv_rows(const void* w, std::size_t w_stride, const Act* a, std::size_t groups, float* out, Step step) {
  const auto* row0 = static_cast<const std::uint8_t*>(w);
  const auto* row1 = row0 + (R - 1) * w_stride;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (std::size_t g = 0; g < groups; ++g) {
    const char* ahead = reinterpret_cast<const char*>(row0) + R * G * (2 * groups + g);
    for (std::size_t off = 0; off < R * G; off += 64) _mm_prefetch(ahead + off, _MM_HINT_T1);
    acc0 = step(row0 + G * g, a[g], acc0);
    if constexpr (R == 2) acc1 = step(row1 + G * g, a[g], acc1);
  }
  out[0] = _mm512_reduce_add_ps(acc0);
  if constexpr (R == 2) out[1] = _mm512_reduce_add_ps(acc1);
}
#endif

}  // namespace qdetail
}  // namespace glm4::kernels
