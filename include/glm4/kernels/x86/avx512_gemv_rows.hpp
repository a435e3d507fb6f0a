// The loops of the AVX-512 VBMI int8 decode kernels (GLM4_GEMV_AVX512VBMI:
// the formats' decode_avx512vbmi.hpp), one token's and the small batches'
// tile, and the instructions they share: permute tables, the activation
// groups in registers, high nibbles by gf2p8affineqb, f16 scales by integer
// shifts.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/activations/q8k_bsums.hpp"
#include "glm4/kernels/activations/q8x2.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
#include "glm4/kernels/activations/q8x8.hpp"
#include "glm4/kernels/int8_decode.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

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

// One activation group as the steps read it. in_registers: pinned in
// registers, loaded once per group and shared by gemv_rows' rows. loaded:
// plain loads, which GCC folds into the instructions that use them, for the
// small batches' tile, where a token's group meets one row per call (pinned
// there, 4 tokens over q4_0 rows in L2 took 12 % longer on Sapphire Rapids).
struct q8x4_regs {
  __m512i lo, hi, corr;
  __m512 d;
};
inline q8x4_regs loaded(const q8x4_act& a) {
  return {_mm512_load_si512(a.lo), _mm512_load_si512(a.hi), _mm512_load_si512(a.corr), _mm512_load_ps(a.d)};
}
inline q8x4_regs in_registers(const q8x4_act& a) {
  q8x4_regs x = loaded(a);
  pin(x.lo, x.hi, x.corr, x.d);
  return x;
}
struct q8x2_regs {
  __m512i qs, corr;
  __m512 d;
};
inline q8x2_regs loaded(const q8x2_act& a) {
  return {_mm512_load_si512(a.qs), _mm512_load_si512(a.corr), _mm512_load_ps(a.d)};
}
inline q8x2_regs in_registers(const q8x2_act& a) {
  q8x2_regs x = loaded(a);
  pin(x.qs, x.corr, x.d);
  return x;
}
// The super-block layouts stay in memory: six, five or eight vectors, which GCC
// copies to the stack rather than keep in registers (q4_k decode: -15 %).
inline const q8k_act& in_registers(const q8k_act& a) { return a; }
inline const q8k_bsums_act& in_registers(const q8k_bsums_act& a) { return a; }
inline const q8x8_act& in_registers(const q8x8_act& a) { return a; }
inline const q8k_act& loaded(const q8k_act& a) { return a; }
inline const q8k_bsums_act& loaded(const q8k_bsums_act& a) { return a; }
inline const q8x8_act& loaded(const q8x8_act& a) { return a; }

// Each byte's high nibble (v >> 4 & 15) in one gf2p8affineqb, where a shift
// and a mask take two instructions: the 8x8 bit matrix (row i, the byte
// that makes result bit i, is byte 7 - i) moves bit i + 4 to bit i.
inline __m512i high_nibbles(__m512i v) {
  return _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(0x1020408000000000ll), 0);
}

// The fifth bits of four q5_0 / q5_1 blocks (each block's high_bits) as
// byte masks of the codes the decode kernels gather: byte 16 k + j of the
// low-nibble vector <-> bit j of block k's bits, of the high-nibble vector
// <-> bit j + 16.
struct byte_masks {
  __mmask64 lo, hi;
};
inline byte_masks fifth_bit_masks(std::uint64_t h0, std::uint64_t h1, std::uint64_t h2, std::uint64_t h3) {
  return {(h0 & 0xffff) | (h1 & 0xffff) << 16 | (h2 & 0xffff) << 32 | h3 << 48,
          h0 >> 16 | (h1 >> 16) << 16 | (h2 >> 16) << 32 | (h3 >> 16) << 48};
}

// The scales of the kernels of blocks with an f16 scale (q4_0, q4_1, q5_0,
// q5_1, q8_0): dw_high holds each lane's f16 weight scale in its high 16
// bits (the odd words of a zero-masked vpermw). Shifting the f16's sign,
// exponent and mantissa into an f32's places takes two integer instructions
// (vcvtph2ps: two uops on Zen 4) and gives dw * 2^-112 exactly, zero and
// subnormals included.
inline __m512 f16_scales(__m512i dw_high) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_srai_epi32(dw_high, 3), _mm512_set1_epi32(0x8fffffff)));
}

// Their last step: acc + isum * dw * dx, lane by lane, with dw from
// f16_scales and dx the activation scales, which prepare_q8x4 / q8x2 store
// times f16_fold (2^80): the products are dw * dx * 2^-32, in f32's normal
// range for |dx| < 2^48 and |dw dx| > 2^-94, and gemv_rows' sums come out
// times f16_unfold.
inline __m512 add_scaled(__m512i isum, __m512 dw, __m512 dx, __m512 acc) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, dx), acc);
}

// Four blocks of 32 as q4_0 / q5_0 (offset codes) and q4_1 / q5_1 (a
// minimum) unpack them: the low- and high-nibble codes (bytes 16 k .. of
// block k) and the scales, per lane of the sums.
struct nibble_codes {
  __m512i lo, hi;
  __m512 dw;
};
struct nibble_min_codes {
  __m512i lo, hi;
  __m512 dw, mw;
};
// Against q8x4_act: offset codes start from its correction (offset times
// each lane's activation sum); a minimum multiplies that sum (prepared with
// offset -1) by m dx.
inline __m512 apply_offset_codes(const nibble_codes& u, const q8x4_regs& x, __m512 acc) {
  return add_scaled(_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(x.corr, u.lo, x.lo), u.hi, x.hi), u.dw, x.d, acc);
}
inline __m512 apply_min_codes(const nibble_min_codes& u, const q8x4_regs& x, __m512 acc) {
  const __m512i isum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u.lo, x.lo), u.hi, x.hi);
  return add_scaled(x.corr, u.mw, x.d, add_scaled(isum, u.dw, x.d, acc));
}

// The loop of the int8 decode kernels (the formats' gemv_dot): R rows (1 or
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

// The small batches' tile: groups [g0, g1) of R rows (1 or 2, w_stride
// bytes apart; G bytes a group) against T tokens' activations (a_stride
// groups apart), each group unpacked once, unpack(bytes), and
// apply(unpacked, token's group, acc) adding it into row r's and token t's
// 16-lane accumulator acc[r * T + t], carried between calls (a row goes in
// column chunks while the tokens' chunk of activations stays in L1). The
// decode's step is apply(unpack(bytes), x, acc) (avx512_decode_steps), so
// every token's sum is decode's, bit for bit. With `ahead` (bytes, 0 for
// none) each step prefetches its own bytes that far on into L2, as gemv_rows
// does: on Sapphire Rapids, 2 threads, a 13696 x 4096 q4_0 matrix against 2
// and 4 tokens took 20 % less time than with each row's chunk prefetched
// at once before it. Two rows share each token's group, loaded once into
// registers; one row reads it as memory operands (loaded). On 16 q4_0 rows
// in L2, 8 tokens took 21-25 % less time two rows at a time.
template <std::size_t R, std::size_t T, std::size_t G, class Act, class Unpack, class Apply>
  requires(R == 1 || R == 2)
inline void gemv_tile(const void* w, std::size_t w_stride, std::size_t g0, std::size_t g1, const Act* a,
                      std::size_t a_stride, __m512* acc, std::size_t ahead, const Unpack& unpack, Apply apply) {
  const auto* row0 = static_cast<const std::uint8_t*>(w);
  const auto* row1 = row0 + (R - 1) * w_stride;
  // Unrolled, or GCC copies acc through the stack in 32-byte halves (its
  // preferred width), which the loop's 64-byte loads cannot take from the
  // store buffer: unrolled, 8 tokens over 512 x 4096 q4_0 rows in L2
  // (kernels::gemv_rows, one thread, Sapphire Rapids) ran 92-95 G
  // multiply-adds/s where they ran 86-88.
  __m512 sums0[T], sums1[T];
#pragma GCC unroll 8
  for (std::size_t t = 0; t < T; ++t) {
    sums0[t] = acc[t];
    if constexpr (R == 2) sums1[t] = acc[T + t];
  }
  for (std::size_t g = g0; g < g1; ++g) {
    if (ahead) {
      prefetch_l2(row0 + G * g + ahead, G);
      if constexpr (R == 2) prefetch_l2(row1 + G * g + ahead, G);
    }
    const auto u0 = unpack(row0 + G * g);
    if constexpr (R == 1) {
#pragma GCC unroll 8
      for (std::size_t t = 0; t < T; ++t) sums0[t] = apply(u0, loaded(a[t * a_stride + g]), sums0[t]);
    } else {
      const auto u1 = unpack(row1 + G * g);
#pragma GCC unroll 8
      for (std::size_t t = 0; t < T; ++t) {
        const auto& x = in_registers(a[t * a_stride + g]);
        sums0[t] = apply(u0, x, sums0[t]);
        sums1[t] = apply(u1, x, sums1[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (std::size_t t = 0; t < T; ++t) {
    acc[t] = sums0[t];
    if constexpr (R == 2) acc[T + t] = sums1[t];
  }
}

// The entry points of an AVX-512 decode kernel made of Self::unpacker (its
// constants, loaded once per call; unpack(bytes) unpacks one group of G
// bytes, StepValues values) and Self::apply(unpacked, activations, acc),
// the sums times Self::unfold: gemv_dot<R>, R rows (1 or 2) for one token,
// and gemv_tile<T>, values [c0, c1) of one row for T tokens (matmul_rows.hpp's
// has_gemv_tile), whose gemv_partial_sum ends as gemv_dot does; where a
// group of activations fits in registers (q8x4_act, q8x2_act),
// gemv_tile_pair<T>, the same for two rows (has_gemv_tile_pair).
template <class Self, class Block, class Act, std::size_t G, std::size_t StepValues>
struct avx512_decode_steps {
  using gemv_partial = __m512;
  static float gemv_partial_sum(gemv_partial p) { return _mm512_reduce_add_ps(p) * Self::unfold; }

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const Block* w, std::size_t w_stride, const Act* a, std::size_t n,
                                                  float* out) {
    const typename Self::unpacker unpack;
    gemv_rows<R, G>(
        w, w_stride * sizeof(Block), a, n / StepValues, out,
        [&](const std::uint8_t* bytes, const auto& x, __m512 acc) { return Self::apply(unpack(bytes), x, acc); },
        Self::unfold);
  }

  template <std::size_t T>
  static void gemv_tile(const Block* w, const Act* a, std::size_t a_stride, std::size_t c0, std::size_t c1,
                        gemv_partial* acc, std::size_t ahead) {
    tile<1, T>(w, 0, a, a_stride, c0, c1, acc, ahead);
  }

  template <std::size_t T>
    requires(!std::is_reference_v<decltype(in_registers(std::declval<const Act&>()))>)
  static void gemv_tile_pair(const Block* w, std::size_t w_stride, const Act* a, std::size_t a_stride, std::size_t c0,
                             std::size_t c1, gemv_partial* acc, std::size_t ahead) {
    tile<2, T>(w, w_stride, a, a_stride, c0, c1, acc, ahead);
  }

 private:
  template <std::size_t R, std::size_t T>
  static void tile(const Block* w, std::size_t w_stride, const Act* a, std::size_t a_stride, std::size_t c0,
                   std::size_t c1, gemv_partial* acc, std::size_t ahead) {
    const typename Self::unpacker unpack;
    qdetail::gemv_tile<R, T, G>(w, w_stride * sizeof(Block), c0 / StepValues, c1 / StepValues, a, a_stride, acc,
                                ahead, unpack,
                                [](const auto& u, const auto& x, __m512 sum) { return Self::apply(u, x, sum); });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
