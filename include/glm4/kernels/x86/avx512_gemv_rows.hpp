// The loop of the AVX-512 VBMI int8 decode kernels (GLM4_GEMV_AVX512VBMI:
// the formats' decode_avx512vbmi.hpp) and the instructions they share:
// permute tables, the activation groups in registers, high nibbles by
// gf2p8affineqb, f16 scales by integer shifts.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activations/q8k.hpp"
#include "glm4/kernels/activations/q8k_bsums.hpp"
#include "glm4/kernels/activations/q8x2.hpp"
#include "glm4/kernels/activations/q8x4.hpp"
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

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
