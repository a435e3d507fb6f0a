// q4_k weights x q16k activations, after ggml's ggml_vec_dot_q4_K_q8_K (MIT,
// Copyright (c) 2023-2024 The ggml authors) with int16 activations. Per
// 256-value super-block with sub-blocks s = 0..7 of 32 values,
// x = d sc[s] q - dmin mn[s] (q in [0, 15]; sc, mn in [0, 63]):
//
//   sum = dx d    * sum_s sc[s] * sum_{j in s} q[j] a[j]
//       - dx dmin * sum_s mn[s] * sums[s]
//
// Bounds: a sub-block's sum_j q a is at most 32 * 15 * 32767 < 2^24 and its
// scaled sc[s] sum_j q a < 2^30, but the eight of a super-block together can
// reach 2^33: the portable path scales each sub-block's int32 sum in float;
// the x86 kernels multiply the codes by sc[s] in int16 (sc q <= 945) and
// keep the vector lanes apart, each lane summing 32 products at most
// (32 * 945 * 32767 < 2^30), converting to float before the horizontal sum.
// The min term is at most 8 * 63 * 32 * 32767 < 2^30.
//
// Codes: chunk c (32 bytes) holds sub-block 2c in its low nibbles and 2c + 1
// in its high nibbles, so chunk c against a.qs[64 c .. 64 c + 63] is
// contiguous on both sides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activation_q16.hpp"
#include "glm4/kernels/activation_q8.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

namespace qdetail {
// The 12 packed scale bytes as 8 scales (bytes 0-7) then 8 mins (8-15), with
// ggml's 32-bit mask trick (see k_quants.hpp for the layout).
inline void unpack_q4_k_scales(const std::uint8_t* packed, std::uint8_t out[16]) {
  constexpr std::uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
  std::uint32_t u[4];
  std::memcpy(u, packed, 12);
  u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);  // mins 4-7
  const std::uint32_t mins_lo = u[1] & kmask1;                    // mins 0-3
  u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);         // scales 4-7
  u[2] = mins_lo;
  u[0] &= kmask1;  // scales 0-3
  std::memcpy(out, u, 16);
}
}  // namespace qdetail

template <>
struct dot_traits<quant::q4_k> : q16k_activation {
  using block = quant::q4_k::block;

  // Scalar integer reference (min terms from the activations themselves,
  // super-block sums in int64).
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      std::int64_t isum = 0, msum = 0;
      for (int s = 0; s < 8; ++s) {
        const auto sm = quant::k_quants::get_scale_min(w[b].scales, s);
        const std::uint8_t* q = w[b].qs + 32 * (s / 2);
        const std::int16_t* x = a[b].qs + 32 * s;
        std::int32_t qs = 0, xs = 0;
        for (int j = 0; j < 32; ++j) {
          qs += (s % 2 ? q[j] >> 4 : q[j] & 15) * x[j];
          xs += x[j];
        }
        isum += static_cast<std::int64_t>(sm.scale) * qs;
        msum += static_cast<std::int64_t>(sm.min) * xs;
      }
      sum += static_cast<double>(a[b].d * quant::f16::to_float(w[b].d)) * static_cast<double>(isum) -
             static_cast<double>(a[b].d * quant::f16::to_float(w[b].dmin)) * static_cast<double>(msum);
    }
    return static_cast<float>(sum);
  }

  // Portable: unpack each chunk to int8 codes, one int32 dot per sub-block
  // (exact in float: < 2^24), scaled in float.
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t lo[32], hi[32];
    std::uint8_t sm[16];
    for (std::size_t b = 0; b < n / 256; ++b) {
      qdetail::unpack_q4_k_scales(w[b].scales, sm);
      float qsum = 0.0f;
      std::int32_t msum = 0;
      for (int c = 0; c < 4; ++c) {
        qdetail::split_nibbles(w[b].qs + 32 * c, 32, lo, hi, 0);  // sub-blocks 2c, 2c + 1
        qsum += static_cast<float>(sm[2 * c]) * static_cast<float>(qdetail::idot(lo, a[b].qs + 64 * c, 32)) +
                static_cast<float>(sm[2 * c + 1]) * static_cast<float>(qdetail::idot(hi, a[b].qs + 64 * c + 32, 32));
      }
      for (int s = 0; s < 8; ++s) msum += sm[8 + s] * a[b].sums[s];
      sum += a[b].d *
             (qdetail::half_to_float(w[b].d) * qsum - qdetail::half_to_float(w[b].dmin) * static_cast<float>(msum));
    }
    return sum;
  }

  static float dot(const block* w, const activation* a, std::size_t n) {
#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
    alignas(16) std::uint8_t sm[16];
    const std::size_t nb = n / 256;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 accm = _mm256_setzero_ps();  // min terms, 8 lanes
#if defined(GLM4_QDOT_AVX512VNNI)
    // Chunk c: low nibbles (sub-block 2c) and high nibbles (2c + 1), each
    // widened to 32 int16 and multiplied by its scale, one vpdpwssd each
    // against the sub-block's 32 activations; the even and odd sub-blocks
    // go to separate accumulators (two dependency chains, 8 products per
    // lane each).
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      qdetail::unpack_q4_k_scales(w[b].scales, sm);
      __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m256i bits = _mm256_loadu_si256((const __m256i*)(w[b].qs + 32 * c));
        const __m512i lo = _mm512_cvtepu8_epi16(_mm256_and_si256(bits, m4));
        const __m512i hi = _mm512_cvtepu8_epi16(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4));
        even = _mm512_dpwssd_epi32(even, _mm512_mullo_epi16(lo, _mm512_set1_epi16(sm[2 * c])),
                                   _mm512_loadu_si512(a[b].qs + 64 * c));
        odd = _mm512_dpwssd_epi32(odd, _mm512_mullo_epi16(hi, _mm512_set1_epi16(sm[2 * c + 1])),
                                  _mm512_loadu_si512(a[b].qs + 64 * c + 32));
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)),
                            _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), acc);
#else
    // Per 16 values: codes widened to int16 times the scale, pmaddwd with
    // the activations; the even and odd sub-blocks go to separate
    // accumulators (16 products per lane each).
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      qdetail::unpack_q4_k_scales(w[b].scales, sm);
      __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) {
        const __m256i bits = _mm256_loadu_si256((const __m256i*)(w[b].qs + 32 * c));
        const __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
        const __m256i sl = _mm256_set1_epi16(sm[2 * c]), sh = _mm256_set1_epi16(sm[2 * c + 1]);
        const std::int16_t* x = a[b].qs + 64 * c;
        const auto madd = [](__m128i codes, __m256i scale, const std::int16_t* xs) {
          return _mm256_madd_epi16(_mm256_mullo_epi16(_mm256_cvtepu8_epi16(codes), scale),
                                   _mm256_loadu_si256((const __m256i*)xs));
        };
        even = _mm256_add_epi32(even, madd(_mm256_castsi256_si128(lo), sl, x));
        even = _mm256_add_epi32(even, madd(_mm256_extracti128_si256(lo, 1), sl, x + 16));
        odd = _mm256_add_epi32(odd, madd(_mm256_castsi256_si128(hi), sh, x + 32));
        odd = _mm256_add_epi32(odd, madd(_mm256_extracti128_si256(hi, 1), sh, x + 48));
      }
      acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)),
                            _mm256_cvtepi32_ps(_mm256_add_epi32(even, odd)), acc);
#endif
      // mins: the 8 sub-block sums times the 8 mins (each < 2^27).
      const __m256i prod = _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(sm + 8))),
                                              _mm256_loadu_si256((const __m256i*)a[b].sums));
      accm =
          _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * qdetail::half_to_float(w[b].dmin)), _mm256_cvtepi32_ps(prod), accm);
    }
#if defined(GLM4_QDOT_AVX512VNNI)
    return _mm512_reduce_add_ps(acc) - qdetail::hsum(accm);
#else
    return qdetail::hsum(acc) - qdetail::hsum(accm);
#endif
#else
    return portable_dot(w, a, n);
#endif
  }

#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_AVX2) || defined(GLM4_GEMV_NEON_DOTPROD)
  // Decode (one token), int8 activations with one scale per super-block
  // (q8k_act, as ggml's q8_K; AVX-512 here, AVX2 and NEON sdot below): the
  // sub-blocks' integer sums weighted by their scales in int32, one float
  // step per super-block. AVX-512: per 144-byte super-block, two loads of the
  // 128 code bytes, whose nibbles are sub-blocks (0, 2), (1, 3), (4, 6),
  // (5, 7) in the two halves of four vectors (q8k_act's order); per vector
  // one vpmaddubsw (code pairs times activations, at most 2 * 15 * 127 in
  // int16) and one vpdpwssd by the sub-block scales as int16 words (one
  // in-lane vpshufb each), into one int32 sum of the super-block (at most
  // 4 * 2 * 3810 * 63 < 2^21 per lane), then a single float step; the min
  // term is one product of the unpacked mins with q8k_act::dsum, in the
  // same accumulator.
  using gemv_activation = q8k_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) { qdetail::prepare_q8k(x, a, n); }
  // Its scalar reference, sub-block by sub-block.
  static float reference_gemv(const block* w, const gemv_activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      for (int s = 0; s < 8; ++s) {
        const auto sm = quant::k_quants::get_scale_min(w[b].scales, s);
        const std::uint8_t* q = w[b].qs + 32 * (s / 2);
        const std::int8_t* x = a[b].sub_block(static_cast<std::size_t>(s));
        std::int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += (s % 2 ? q[j] >> 4 : q[j] & 15) * x[j];
        sum += static_cast<double>(quant::f16::to_float(w[b].d)) * sm.scale * a[b].d * isum -
               static_cast<double>(quant::f16::to_float(w[b].dmin)) * sm.min * a[b].dsum[8 + s];
      }
    }
    return static_cast<float>(sum);
  }
#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_AVX2)
  // qdetail::unpack_q4_k_scales in one register: the 32-bit words u0, u1,
  // u2 of the 12 bytes (the load's last 4 bytes are codes, unused) become
  //   [u0 & k1, (u2 & k2) | ((u0 >> 6) & k3) << 4, u1 & k1, ((u2 >> 4) & k2) | ((u1 >> 6) & k3) << 4]
  // (scales 0-3, 4-7, mins 0-3, 4-7), with no trip through memory.
  static __m128i unpack_scales(const std::uint8_t* packed) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)), _mm_setr_epi32(0, 0, 0, 4)),
                                     _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    const __m128i hi = _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)), 6),
                                                    _mm_setr_epi32(0, 0x03030303, 0, 0x03030303)),
                                      4);
    return _mm_or_si128(lo, hi);
  }
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // vpshufb indices: int16 words of vector i <- the unpacked scale of its
    // sub-blocks (q8k_act's order: s0 in 128-bit lanes 0-1, s0 + 2 in lanes
    // 2-3) as the low byte, the high byte zeroed (index 0x80), from the
    // unpacked scales broadcast to every 128-bit lane
    const auto pick = [](int i) {
      const int s0 = 4 * (i / 2) + i % 2;
      return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<std::int16_t>(0x8000 | s0)),
                                _mm256_set1_epi16(static_cast<std::int16_t>(0x8000 | (s0 + 2))), 1);
    };
    const __m512i p0 = pick(0), p1 = pick(1), p2 = pick(2), p3 = pick(3);
    const __m512i m4 = _mm512_set1_epi8(15);
    qdetail::gemv_rows<R, sizeof(block)>(
        w, w_stride * sizeof(block), a, n / 256, out, [&](const std::uint8_t* bytes, const gemv_activation& x, __m512 acc) {
          const auto& b = *reinterpret_cast<const block*>(bytes);
          const __m128i sm = unpack_scales(b.scales);  // scales 0-7, mins 0-7
          const __m512i sc = _mm512_broadcast_i32x4(sm);
          const __m512i q01 = _mm512_loadu_si512(b.qs), q23 = _mm512_loadu_si512(b.qs + 64);
          const auto part = [&](__m512i u, int i, __m512i pick_i, __m512i isum) {
            const __m512i pairs = _mm512_maddubs_epi16(u, _mm512_load_si512(x.qs[i]));
            return _mm512_dpwssd_epi32(isum, pairs, _mm512_shuffle_epi8(sc, pick_i));
          };
          __m512i isum = part(_mm512_and_si512(q01, m4), 0, p0, _mm512_setzero_si512());
          isum = part(qdetail::high_nibbles(q01), 1, p1, isum);
          isum = part(_mm512_and_si512(q23, m4), 2, p2, isum);
          isum = part(qdetail::high_nibbles(q23), 3, p3, isum);
          // every lane is summed in the end: the min term (lanes 8-15) joins the same accumulator
          acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
          const __m512 sf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(sm));
          return _mm512_fnmadd_ps(_mm512_mul_ps(sf, _mm512_load_ps(x.dsum)),
                                  _mm512_set1_ps(qdetail::half_to_float(b.dmin)), acc);
        });
  }

#elif defined(GLM4_GEMV_AVX2)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // AVX2: per sub-block s (chunk s / 2's low or high nibbles against
    // q8k_act's 32 activations of s), one vpmaddubsw and one vpmaddwd by
    // sc[s] (a vpshufb of the unpacked scales: word <- byte s, high byte
    // zero), added in int32 (8 * 2 * 3810 * 63 < 2^22 a lane); the min term
    // over 8 lanes, mins times q8k_act::dsum[8 ..].
    const __m256i m4 = _mm256_set1_epi8(15);
    qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const block* blk, std::size_t sb, __m256 acc) {
      const block& b = *blk;
      const gemv_activation& x = a[sb];
      const __m128i sm = unpack_scales(b.scales);  // scales 0-7, mins 0-7
      const __m256i sc = _mm256_broadcastsi128_si256(sm);
      __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
        const __m256i u[2] = {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)};
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          const int s = 2 * c + h;
          const auto* xs = reinterpret_cast<const __m256i*>(x.sub_block(static_cast<std::size_t>(s)));
          const __m256i pairs = _mm256_maddubs_epi16(u[h], _mm256_load_si256(xs));
          const __m256i scale = _mm256_shuffle_epi8(sc, _mm256_set1_epi16(static_cast<std::int16_t>(0x8000 | s)));
          isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, scale));
        }
      }
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
      const __m256 mins = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
      return _mm256_fnmadd_ps(_mm256_mul_ps(mins, _mm256_load_ps(x.dsum + 8)),
                              _mm256_set1_ps(qdetail::half_to_float(b.dmin)), acc);
    });
  }

#else
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // NEON: per sub-block s, two sdot of chunk s / 2's low or high nibbles
    // against q8k_act's 32 activations of s, times sc[s] into an int32 sum
    // of the super-block (vmla); the min term in float.
    const uint8x16_t m4 = vdupq_n_u8(15);
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 256, out, [&](const block& b, std::size_t sb, float32x4_t acc) {
      const gemv_activation& x = a[sb];
      std::uint8_t sm[16];  // scales 0-7, mins 0-7
      qdetail::unpack_q4_k_scales(b.scales, sm);
      int32x4_t isum = vdupq_n_s32(0);
      for (int c = 0; c < 4; ++c) {
        const uint8x16_t q0 = vld1q_u8(b.qs + 32 * c), q1 = vld1q_u8(b.qs + 32 * c + 16);
        for (int h = 0; h < 2; ++h) {
          const int s = 2 * c + h;
          const std::int8_t* xs = x.sub_block(static_cast<std::size_t>(s));
          const int8x16_t u0 = vreinterpretq_s8_u8(h ? vshrq_n_u8(q0, 4) : vandq_u8(q0, m4));
          const int8x16_t u1 = vreinterpretq_s8_u8(h ? vshrq_n_u8(q1, 4) : vandq_u8(q1, m4));
          const int32x4_t dot = vdotq_s32(vdotq_s32(vdupq_n_s32(0), u0, vld1q_s8(xs)), u1, vld1q_s8(xs + 16));
          isum = vmlaq_n_s32(isum, dot, sm[s]);
        }
      }
      acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(b.d) * x.d);
      const uint16x8_t mins = vmovl_u8(vld1_u8(sm + 8));
      const float32x4_t m_lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(mins)));
      const float32x4_t m_hi = vcvtq_f32_u32(vmovl_u16(vget_high_u16(mins)));
      const float32x4_t mterm = vfmaq_f32(vmulq_f32(m_lo, vld1q_f32(x.dsum + 8)), m_hi, vld1q_f32(x.dsum + 12));
      return vfmsq_f32(acc, mterm, vdupq_n_f32(qdetail::half_to_float(b.dmin)));
    });
  }
#endif
#endif

#if defined(GLM4_QDOT_AVX512VNNI)
  // 4 rows x T tokens in row lanes (see qdetail::tile4_blocks32): 128-bit
  // lane r of every vector is row r. Per chunk c, the rows' bytes 0-15 and
  // 16-31 in lanes; their nibbles widened in lane (vpunpck*bw with zero) are
  // values 8k .. 8k + 7 of sub-blocks 2c, 2c + 1, against the activations'
  // 8 values broadcast to the four lanes. The scales and mins of the four
  // rows are one vector of bytes (row r's 16 in lane r) that one in-lane
  // byte shuffle turns into a sub-block's scale per int32 lane.
  // One token: each sub-block's int32 sums times its scale (vpmulld, 8 per
  // super-block); several: the codes times the scale in int16 (sc q <= 945)
  // once for all tokens. A lane sums 8 products per sub-block, scaled:
  // 8 * 8 * 945 * 32767 < 2^31 per super-block, converted to float there.
  // Mins: lanes 0-3 of row r hold mn[s] sums[s] + mn[s + 4] sums[s + 4].
  template <std::size_t T>
  static void tile4_lanes(const block* w, std::size_t w_stride, const activation* a, std::size_t a_stride,
                          std::size_t n, float* out) {
    const block* row[4] = {w, w + w_stride, w + 2 * w_stride, w + 3 * w_stride};
    const __m512i m4 = _mm512_set1_epi8(0x0f), zero = _mm512_setzero_si512();
    const __m512i spread16 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    // byte s (scale) or 8 + s (min) of the lane into each int32, zero-extended
    const auto pick = [](int s) { return _mm512_set1_epi32(static_cast<int>(0x80808000u | static_cast<unsigned>(s))); };
    const __m512i pick_min_lo = _mm512_set4_epi32(0x8080800b, 0x8080800a, 0x80808009, 0x80808008);
    const __m512i pick_min_hi = _mm512_set4_epi32(0x8080800f, 0x8080800e, 0x8080800d, 0x8080800c);
    const __m512i k1 = _mm512_set1_epi32(0x3f3f3f3f), k2 = _mm512_set1_epi32(0x0f0f0f0f),
                  k3 = _mm512_set1_epi32(0x03030303), shift_u2 = _mm512_set4_epi32(4, 0, 0, 0);
    __m512 acc[T];
    for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    const std::size_t nb = n / 256;
    for (std::size_t b = 0; b < nb; ++b) {
      {  // the next four rows, one sequential stream (see tile4_blocks32)
        const std::uintptr_t next = reinterpret_cast<std::uintptr_t>(w) + (4 * w_stride + 4 * b) * sizeof(block);
        for (std::size_t off = 0; off < 4 * sizeof(block); off += 64)
          _mm_prefetch(reinterpret_cast<const char*>(next + off), _MM_HINT_T0);
      }
      // unpack_q4_k_scales for the four rows at once, on the int32 lanes of
      // their 12 packed bytes u0, u1, u2 (16 loaded: the block goes on):
      // [u0 & k1, (u2 & k2) | ((u0 >> 6) & k3) << 4, u1 & k1,
      //  ((u2 >> 4) & k2) | ((u1 >> 6) & k3) << 4]
      const __m512i packed = qdetail::row_lanes(row[0][b].scales, row[1][b].scales, row[2][b].scales, row[3][b].scales);
      const __m512i p0 = _mm512_shuffle_epi32(packed, _MM_PERM_CBCA);  // [u0, u2, u1, u2]
      const __m512i p1 = _mm512_shuffle_epi32(packed, _MM_PERM_BBAA);  // [u0, u0, u1, u1]
      const __m512i scm = _mm512_mask_blend_epi32(
          0xaaaa, _mm512_and_si512(p0, k1),
          _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi32(p0, shift_u2), k2),
                          _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(p1, 6), k3), 4)));
      // d and dmin of the four rows through general registers, one vmovq each
      std::uint64_t d4 = 0, dmin4 = 0;
      for (int r = 0; r < 4; ++r) {
        d4 |= std::uint64_t{row[r][b].d.bits} << (16 * r);
        dmin4 |= std::uint64_t{row[r][b].dmin.bits} << (16 * r);
      }
      const __m256 dd = _mm256_cvtph_ps(_mm_set_epi64x(static_cast<long long>(dmin4), static_cast<long long>(d4)));
      const __m512 d16 = _mm512_permutexvar_ps(spread16, _mm512_castps256_ps512(dd));
      const __m512 dmin16 =
          _mm512_permutexvar_ps(_mm512_add_epi32(spread16, _mm512_set1_epi32(4)), _mm512_castps256_ps512(dd));
      const __m512i mn_lo = _mm512_shuffle_epi8(scm, pick_min_lo), mn_hi = _mm512_shuffle_epi8(scm, pick_min_hi);
      __m512i isum[T];
      for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i qa = qdetail::row_lanes(row[0][b].qs + 32 * c, row[1][b].qs + 32 * c, row[2][b].qs + 32 * c,
                                              row[3][b].qs + 32 * c);
        const __m512i qb = qdetail::row_lanes(row[0][b].qs + 32 * c + 16, row[1][b].qs + 32 * c + 16,
                                              row[2][b].qs + 32 * c + 16, row[3][b].qs + 32 * c + 16);
        for (int hs = 0; hs < 2; ++hs) {  // sub-block s = 2c + hs: low nibbles, then high
          const int s = 2 * c + hs;
          const __m512i na = hs ? _mm512_and_si512(_mm512_srli_epi16(qa, 4), m4) : _mm512_and_si512(qa, m4);
          const __m512i nb2 = hs ? _mm512_and_si512(_mm512_srli_epi16(qb, 4), m4) : _mm512_and_si512(qb, m4);
          __m512i v[4] = {_mm512_unpacklo_epi8(na, zero), _mm512_unpackhi_epi8(na, zero),
                          _mm512_unpacklo_epi8(nb2, zero), _mm512_unpackhi_epi8(nb2, zero)};
          const __m512i sc = _mm512_shuffle_epi8(scm, pick(s));  // int32 lanes
          if constexpr (T > 1) {
            const __m512i sc16 = _mm512_or_si512(sc, _mm512_slli_epi32(sc, 16));
            for (auto& x : v) x = _mm512_mullo_epi16(x, sc16);
          }
          for (std::size_t t = 0; t < T; ++t) {
            const std::int16_t* x = a[t * a_stride + b].qs + 32 * s;
            __m512i p = _mm512_dpwssd_epi32(T > 1 ? isum[t] : zero, v[0],
                                            _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)x)));
            p = _mm512_dpwssd_epi32(p, v[1], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 8))));
            p = _mm512_dpwssd_epi32(p, v[2], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 16))));
            p = _mm512_dpwssd_epi32(p, v[3], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 24))));
            if constexpr (T > 1)
              isum[t] = p;
            else
              isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(p, sc));
          }
        }
      }
      for (std::size_t t = 0; t < T; ++t) {
        const activation& x = a[t * a_stride + b];
        const __m512i msum = _mm512_add_epi32(
            _mm512_mullo_epi32(mn_lo, _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)x.sums))),
            _mm512_mullo_epi32(mn_hi, _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x.sums + 4)))));
        const __m512 dx = _mm512_set1_ps(x.d);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d16, dx), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin16, dx), acc[t]);
      }
    }
    for (std::size_t t = 0; t < T; ++t) {
      alignas(64) float l[16];
      _mm512_store_ps(l, acc[t]);
      for (int r = 0; r < 4; ++r) out[t * 4 + r] = (l[4 * r] + l[4 * r + 1]) + (l[4 * r + 2] + l[4 * r + 3]);
    }
  }

  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    tile4_lanes<T>(w, w_stride, a, a_stride, n, out);
  }
#endif
};

}  // namespace glm4::inline GLM4_TARGET::kernels
