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

#include "glm4/kernels/activation_q16.hpp"  // hsum
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// Which int8 decode kernels compile (GLM4_GEMV_*): kernels/targets.hpp.
#if defined(GLM4_GEMV_NEON_DOTPROD)
#include <arm_neon.h>
#endif

namespace glm4::inline GLM4_TARGET::kernels {

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
//   unsigned codes u = q + offset starts its sums, d[l] = the block's scale
//   (times the d_scale given to prepare_q8x4: f16_fold for add_scaled).
struct alignas(64) q8x4_act {
  static constexpr std::size_t values = 128;
  static constexpr std::size_t scale_values = 32;  // values per activation scale
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
  static constexpr std::size_t scale_values = 32;
  std::int8_t qs[64];
  std::int32_t corr[16];
  float d[16];
};
static_assert(sizeof(q8x2_act) == 192);

// A 256-value super-block for q4_k's decode kernel (dot_q4_k.hpp) with one
// scale for all of it, as ggml's q8_K: d = max |x| / 127 over the 256
// values (a value's rounding error up to amax / 254 of the super-block, not
// of its 32-value block), so the kernel can weight its sub-blocks' integer
// sums by their scales before any float step. Its sub-blocks s in the order
// the kernel's nibble vectors hold them,
//   qs[i] = sub-blocks 4 (i / 2) + i % 2 (bytes 0-31) and that + 2 (32-63),
//   dsum[8 + s] = d * sum of sub-block s's values (lanes 0-7 zero),
// so that q4_k's min term is one product with its unpacked mins.
struct alignas(64) q8k_act {
  static constexpr std::size_t values = 256;
  static constexpr std::size_t scale_values = 256;
  std::int8_t qs[4][64];
  float dsum[16];
  float d;

  // The 32 values of sub-block s, in the order above.
  std::int8_t* sub_block(std::size_t s) { return qs[2 * (s / 4) + s % 2] + 32 * ((s % 4) / 2); }
  const std::int8_t* sub_block(std::size_t s) const { return qs[2 * (s / 4) + s % 2] + 32 * ((s % 4) / 2); }
};
static_assert(sizeof(q8k_act) == 384);

// ggml's q8_K, for q6_k's decode kernels (dot_q6_k.hpp): 256 values in
// value order with one scale d as in q8k_act, and neg_sums[s] = minus the
// sum of values 16 s .. 16 s + 15 (|.| <= 16 * 127; ggml's bsums negated),
// with which a kernel of unsigned codes u = q + 32 takes the offset out
// once per 16-value sub-block, (32 sc[s]) neg_sums[s] (one shift of the
// scales, no negation), instead of once per value.
struct alignas(64) q8k_bsums_act {
  static constexpr std::size_t values = 256;
  static constexpr std::size_t scale_values = 256;
  std::int8_t qs[256];
  std::int16_t neg_sums[16];
  float d;
};
static_assert(sizeof(q8k_bsums_act) == 320);

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

// max |x| of n values, n a multiple of 16.
inline float absmax(const float* x, std::size_t n) {
#if HWY_TARGET == HWY_SCALAR
  float amax = 0.0f;
  for (std::size_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
#else
  const hn::CappedTag<float, 16> df;
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < n; j += hn::Lanes(df)) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  return hn::GetLane(hn::MaxOfLanes(df, vmax));
#endif
}

// qs = nearest (ties to even) of x * id for 32 values; returns their sum.
inline int round_q8(const float* x, float id, std::int8_t* qs) {
#if HWY_TARGET == HWY_SCALAR
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += qs[j] = static_cast<std::int8_t>(std::nearbyint(x[j] * id));
  return sum;
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::int8_t, decltype(df)> d8;
  const std::size_t N = hn::Lanes(df);
  const auto vid = hn::Set(df, id);
  auto vsum = hn::Zero(di);
  for (std::size_t j = 0; j < 32; j += N) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid));
    vsum = hn::Add(vsum, q);
    hn::StoreU(hn::DemoteTo(d8, q), d8, qs + j);
  }
  return hn::GetLane(hn::SumOfLanes(di, vsum));
#endif
}

// quantize_q8_reference, vectorized.
inline void quantize_q8(const float* x, q8_act& a) {
  const float amax = absmax(x, 32);
  const int sum = round_q8(x, amax != 0.0f ? 127.0f / amax : 0.0f, a.qs);
  a.d = amax / 127.0f;
  a.dsum = a.d * static_cast<float>(sum);
}

// n activations to n / 128 q8x4_act groups; the scales stored times d_scale
// (f16_fold for the kernels of add_scaled).
inline void prepare_q8x4(const float* x, q8x4_act* a, std::size_t n, int offset, float d_scale) {
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
        out.d[4 * k + l] = b.d * d_scale;
      }
    }
  }
}

// n activations to n / 64 q8x2_act groups, the scales times d_scale.
inline void prepare_q8x2(const float* x, q8x2_act* a, std::size_t n, int offset, float d_scale) {
  for (std::size_t g = 0; g < n / 64; ++g) {
    q8x2_act& out = a[g];
    for (std::size_t k = 0; k < 2; ++k) {
      q8_act b;
      quantize_q8(x + 64 * g + 32 * k, b);
      std::memcpy(out.qs + 32 * k, b.qs, 32);
      for (std::size_t l = 0; l < 8; ++l) {
        out.corr[8 * k + l] = -offset * (b.qs[4 * l] + b.qs[4 * l + 1] + b.qs[4 * l + 2] + b.qs[4 * l + 3]);
        out.d[8 * k + l] = b.d * d_scale;
      }
    }
  }
}

// A super-block's one scale (the q8k layouts): d = max |x| / 127 over its
// 256 values, and the factor quantize_q8's rounding multiplies by.
struct q8k_scale {
  float d, id;
};
inline q8k_scale super_block_scale(const float* v) {
  const float amax = absmax(v, 256);
  return {amax / 127.0f, amax != 0.0f ? 127.0f / amax : 0.0f};
}

// For each 256-value super-block of n activations: its d set, then
// fill(out, values, id) (id: the rounding factor).
template <class A, class Fill>
void each_super_block(const float* x, A* a, std::size_t n, Fill fill) {
  for (std::size_t sb = 0; sb < n / 256; ++sb) {
    const float* v = x + 256 * sb;
    const auto [d, id] = super_block_scale(v);
    a[sb].d = d;
    fill(a[sb], v, id);
  }
}

// n activations to n / 256 q8k_act super-blocks.
inline void prepare_q8k(const float* x, q8k_act* a, std::size_t n) {
  each_super_block(x, a, n, [](q8k_act& out, const float* v, float id) {
    std::fill_n(out.dsum, 8, 0.0f);
    for (std::size_t s = 0; s < 8; ++s)
      out.dsum[8 + s] = out.d * static_cast<float>(round_q8(v + 32 * s, id, out.sub_block(s)));
  });
}

// n activations to n / 256 q8k_bsums_act super-blocks.
inline void prepare_q8k_bsums(const float* x, q8k_bsums_act* a, std::size_t n) {
  each_super_block(x, a, n, [](q8k_bsums_act& out, const float* v, float id) {
    for (std::size_t c = 0; c < 8; ++c) round_q8(v + 32 * c, id, out.qs + 32 * c);
    for (std::size_t s = 0; s < 16; ++s) {
      int sum = 0;
      for (std::size_t j = 0; j < 16; ++j) sum += out.qs[16 * s + j];
      out.neg_sums[s] = static_cast<std::int16_t>(-sum);
    }
  });
}

// The factor the f16-block decode kernels want their activation scales
// stored times, and its inverse for their sums times 2^-112 (add_scaled);
// NEON converts f16 scales exactly with fcvt and needs neither.
#if defined(GLM4_GEMV_AVX512VBMI)
inline constexpr float f16_fold = 0x1p80f, f16_unfold = 0x1p32f;
#else
inline constexpr float f16_fold = 1.0f, f16_unfold = 1.0f;
#endif

// The decode kernels' prefetch, at step g of `groups` steps of `step` bytes
// over R contiguous rows: the same slice of the R rows after the next R
// into L2 (__builtin_prefetch locality 2: prefetcht1), so the rows ahead
// arrive as one sequential stream (see gemv_rows for what it measured).
// Past the matrix end a prefetch is a no-op.
inline void prefetch_rows_ahead(const void* row0, std::size_t step, std::size_t groups, std::size_t g) {
  const char* ahead = static_cast<const char*>(row0) + step * (2 * groups + g);
  for (std::size_t off = 0; off < step; off += 64) __builtin_prefetch(ahead + off, 0, 2);
}

#if defined(GLM4_GEMV_AVX2)
// The AVX2 decode loop: R rows (1 or 2, w_stride blocks apart) in `steps`
// steps of StepBlocks blocks, prefetched as gemv_rows does; step(blocks, g,
// acc) adds step g of one row (its first block) into its 8-lane
// accumulator.
template <std::size_t R, std::size_t StepBlocks, class Block, class Step>
inline void avx2_gemv_rows(const Block* w, std::size_t w_stride, std::size_t steps, float* out, Step step) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (std::size_t g = 0; g < steps; ++g) {
    prefetch_rows_ahead(w, R * StepBlocks * sizeof(Block), steps, g);
    acc0 = step(w + StepBlocks * g, g, acc0);
    if constexpr (R == 2) acc1 = step(w + w_stride + StepBlocks * g, g, acc1);
  }
  out[0] = hsum(acc0);
  if constexpr (R == 2) out[1] = hsum(acc1);
}
#endif

#if defined(GLM4_GEMV_NEON_DOTPROD)
// The NEON decode loop: R rows (1 or 2, w_stride blocks apart) of `blocks`
// blocks (32 values, or a q4_k super-block); step(block, b, acc) adds block
// b of one row into its 4-lane accumulator.
template <std::size_t R, class Block, class Step>
inline void neon_gemv_rows(const Block* w, std::size_t w_stride, std::size_t blocks, float* out, Step step) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
  for (std::size_t b = 0; b < blocks; ++b) {
    acc0 = step(w[b], b, acc0);
    if constexpr (R == 2) acc1 = step(w[w_stride + b], b, acc1);
  }
  out[0] = vaddvq_f32(acc0);
  if constexpr (R == 2) out[1] = vaddvq_f32(acc1);
}
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
// A permute's constant index vector: table[i] = f(i).
template <class T, std::size_t N, class F>
constexpr std::array<T, N> lane_table(F f) {
  std::array<T, N> table{};
  for (std::size_t i = 0; i < N; ++i) table[i] = static_cast<T>(f(static_cast<int>(i)));
  return table;
}

// Keeps vectors in registers. GCC otherwise turns each use of a vector
// loaded once into a memory operand of its own (a reload per row of
// gemv_rows: on Zen 4, where 512-bit loads issue one per cycle, ~10 % of
// the q4_0 decode kernel's time).
template <class... V>
inline void pin(V&... v) {
  ([](auto& r) { asm("" : "+v"(r)); }(v), ...);
}

// One activation group as gemv_rows' steps read it: in registers, loaded
// once per group and shared by the rows.
struct q8x4_regs {
  __m512i lo, hi, corr;
  __m512 d;
};
inline q8x4_regs in_registers(const q8x4_act& a) {
  q8x4_regs x{_mm512_load_si512(a.lo), _mm512_load_si512(a.hi), _mm512_load_si512(a.corr), _mm512_load_ps(a.d)};
  pin(x.lo, x.hi, x.corr, x.d);
  return x;
}
struct q8x2_regs {
  __m512i qs, corr;
  __m512 d;
};
inline q8x2_regs in_registers(const q8x2_act& a) {
  q8x2_regs x{_mm512_load_si512(a.qs), _mm512_load_si512(a.corr), _mm512_load_ps(a.d)};
  pin(x.qs, x.corr, x.d);
  return x;
}
// The super-block layouts stay in memory: six or five vectors, which GCC
// copies to the stack rather than keep in registers (q4_k decode: -15 %).
inline const q8k_act& in_registers(const q8k_act& a) { return a; }
inline const q8k_bsums_act& in_registers(const q8k_bsums_act& a) { return a; }

// Each byte's high nibble (v >> 4 & 15) in one gf2p8affineqb, where a shift
// and a mask take two instructions: the 8x8 bit matrix (row i, the byte
// that makes result bit i, is byte 7 - i) moves bit i + 4 to bit i.
inline __m512i high_nibbles(__m512i v) {
  return _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(0x1020408000000000ll), 0);
}

// The last step of the kernels of blocks with an f16 scale (q4_0, q5_0,
// q8_0): acc + isum * dw * dx, lane by lane. dw_high holds each lane's f16
// weight scale in its high 16 bits (the odd words of a zero-masked vpermw),
// dx the activation scales, which prepare_q8x4 / q8x2 store times
// f16_fold. Shifting the f16's sign, exponent and mantissa into an f32's
// places takes two integer instructions (vcvtph2ps: two uops on Zen 4) and
// gives dw * 2^-112 exactly, zero and subnormals included; with dx * 2^80 the
// products are dw * dx * 2^-32, in f32's normal range for |dx| < 2^48 and
// |dw dx| > 2^-94, and gemv_rows' sums come out times f16_unfold.
inline __m512 add_scaled(__m512i isum, __m512i dw_high, __m512 dx, __m512 acc) {
  const __m512 dw = _mm512_castsi512_ps(_mm512_and_si512(_mm512_srai_epi32(dw_high, 3), _mm512_set1_epi32(0x8fffffff)));
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, dx), acc);
}

// The loop of the int8 decode kernels (dot_q*.hpp's gemv_dot): R rows (1 or
// 2, w_stride bytes apart) of `groups` weight groups of G bytes each against
// one activation group each, loaded into registers once for the R rows;
// step(bytes, x, acc) adds one row's group into its 16-lane accumulator.
// The R rows are one contiguous range (matmul walks rows in order) and the
// rows after them follow: prefetch_rows_ahead sweeps the R rows after the
// next R into L2, R * G bytes per step, so DRAM's latency (tens of steps)
// stays hidden. Measured on Zen 4, one thread, Q4_0 9B decode: the hardware
// prefetcher alone 12 GB/s; sweeping the next R rows into L1 19 GB/s; the R
// rows after those into L2 25 GB/s (the kernel computed 27 from cache
// then). The sums are multiplied by `unfold` (f16_unfold for the kernels of
// add_scaled).
template <std::size_t R, std::size_t G, class Act, class Step>
inline void gemv_rows(const void* w, std::size_t w_stride, const Act* a, std::size_t groups, float* out, Step step,
                      float unfold = 1.0f) {
  const auto* row0 = static_cast<const std::uint8_t*>(w);
  const auto* row1 = row0 + (R - 1) * w_stride;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (std::size_t g = 0; g < groups; ++g) {
    prefetch_rows_ahead(row0, R * G, groups, g);
    const auto& x = in_registers(a[g]);  // a copy of the register groups, a reference to the others
    acc0 = step(row0 + G * g, x, acc0);
    if constexpr (R == 2) acc1 = step(row1 + G * g, x, acc1);
  }
  out[0] = _mm512_reduce_add_ps(acc0) * unfold;
  if constexpr (R == 2) out[1] = _mm512_reduce_add_ps(acc1) * unfold;
}
#endif

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels
