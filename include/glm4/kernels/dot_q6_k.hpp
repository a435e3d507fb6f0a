// q6_k weights x q16k activations, after ggml's ggml_vec_dot_q6_K_q8_K (MIT,
// Copyright (c) 2023-2024 The ggml authors) with int16 activations. Per
// 256-value super-block with 16 sub-blocks s of 16 values,
// x = d sc[s] (q - 32), q in [0, 63], sc in [-128, 127]:
//
//   sum = dx d * sum_s sc[s] sum_{j in s} (q[j] - 32) a[j]
//
// The offset is applied to the codes (q - 32 in [-32, 31] fits int8), so no
// activation sums are needed. Bounds: |sc (q - 32)| <= 128 * 32 = 4096 and
// |a| <= 32767, so one product is below 2^27 and 16 of them below 2^31
// (16 * 4096 * 32767 = 2147418112 <= 2^31 - 1): the x86 kernels multiply
// the codes by sc[s] in int16 and let a vector lane sum at most 16
// products (one accumulator per 128-value half), converting to float
// before combining; the portable path's per-sub-block sums are below 2^24
// (16 * 32 * 32767), exact in float, and scaled there.
//
// Layout per half h (128 values): ql[64 h + m] holds value 128 h + m in its
// low nibble and 128 h + 64 + m in its high one (m < 64); qh[32 h + l] holds
// the top 2 bits of 128 h + l, + 32, + 64, + 96 in bit pairs 0-1, 2-3, 4-5,
// 6-7.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activation_q16.hpp"
#include "glm4/kernels/activation_q8.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q6_k.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q6_k> : q16k_activation {
  using block = quant::q6_k::block;

  // Code of value v (0..255) of a block, 0..63.
  static int code(const block& w, int v) {
    const int h = v / 128, m = v % 128 % 64, hi_nib = v % 128 / 64, l = v % 32, pair = v % 128 / 32;
    const int low = hi_nib ? w.ql[64 * h + m] >> 4 : w.ql[64 * h + m] & 15;
    return low | (((w.qh[32 * h + l] >> (2 * pair)) & 3) << 4);
  }

#if defined(__AVX2__)
  // ggml's AVX2 unpacking: the codes (0-63) of values 128 h + 32 j ..
  // + 31 of half h as bytes of vector j, from ql & 15 (j = 0, 1) or ql >> 4
  // (j = 2, 3) and qh's bit pair j shifted to bits 4-5.
  static void avx2_codes(const block& b, int h, __m256i u[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
    const __m256i q2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
    u[0] = _mm256_or_si256(_mm256_and_si256(q1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
    u[1] = _mm256_or_si256(_mm256_and_si256(q2, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
    u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q1, 4), m4), _mm256_and_si256(qh, m30));
    u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q2, 4), m4),
                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
  }
#endif

  // Scalar integer reference (super-block sums in int64).
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b) {
      std::int64_t isum = 0;
      for (int s = 0; s < 16; ++s) {
        std::int32_t ss = 0;
        for (int j = 0; j < 16; ++j) ss += (code(w[b], 16 * s + j) - 32) * a[b].qs[16 * s + j];
        isum += static_cast<std::int64_t>(w[b].scales[s]) * ss;
      }
      sum += static_cast<double>(a[b].d * quant::f16::to_float(w[b].d)) * static_cast<double>(isum);
    }
    return static_cast<float>(sum);
  }

  // Portable: rebuild the codes minus 32, 16 at a time with Highway byte
  // ops, then one int32 dot per 16-value sub-block, scaled in float.
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t q[256];
    for (std::size_t b = 0; b < n / 256; ++b) {
#if HWY_TARGET == HWY_SCALAR
      for (int v = 0; v < 256; ++v) q[v] = static_cast<std::int8_t>(code(w[b], v) - 32);
#else
      const hn::FixedTag<std::uint8_t, 16> du;
      const hn::FixedTag<std::int8_t, 16> di;
      const auto m4 = hn::Set(du, 15), m3 = hn::Set(du, 3);
      const auto off = hn::Set(di, 32);
      const auto store = [&](auto codes, int at) { hn::StoreU(hn::Sub(hn::BitCast(di, codes), off), di, q + at); };
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; l += 16) {
          const auto qa = hn::LoadU(du, w[b].ql + 64 * h + l), qb = hn::LoadU(du, w[b].ql + 64 * h + 32 + l);
          const auto qh = hn::LoadU(du, w[b].qh + 32 * h + l);
          const int o = 128 * h + l;
          store(hn::Or(hn::And(qa, m4), hn::ShiftLeft<4>(hn::And(qh, m3))), o);
          store(hn::Or(hn::And(qb, m4), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(qh), m3))), o + 32);
          store(hn::Or(hn::ShiftRight<4>(qa), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(qh), m3))), o + 64);
          store(hn::Or(hn::ShiftRight<4>(qb), hn::ShiftLeft<4>(hn::ShiftRight<6>(qh))), o + 96);
        }
#endif
      float qsum = 0.0f;
      for (int s = 0; s < 16; ++s)
        qsum +=
            static_cast<float>(w[b].scales[s]) * static_cast<float>(qdetail::idot(q + 16 * s, a[b].qs + 16 * s, 16));
      sum += a[b].d * qdetail::half_to_float(w[b].d) * qsum;
    }
    return sum;
  }

  static float dot(const block* w, const activation* a, std::size_t n) {
#if defined(GLM4_QDOT_AVX512VNNI)
    // Per half: ql (64 bytes) & 15 are values 0-63, ql >> 4 values 64-127;
    // the high bits come from qh broadcast to both 256-bit halves and
    // shifted per half into bits 4-5. Each 32-value quarter (sub-blocks s,
    // s + 1) is widened to int16, times [sc[s] x 16 | sc[s + 1] x 16]
    // (vpermw from the 16 scales), one vpdpwssd against its activations.
    const std::size_t nb = n / 256;
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30), off = _mm512_set1_epi8(32);
    const __m512i shl = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
    const __m512i shr = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(0), _mm512_set1_epi16(2));
    const __m512i pair = _mm512_mask_blend_epi16(0xffff0000u, _mm512_setzero_si512(), _mm512_set1_epi16(1));
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      const __m512i sc = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)w[b].scales)));
      __m512 half_sums = _mm512_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        const __m512i ql = _mm512_loadu_si512(w[b].ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[b].qh + 32 * h)));
        const __m512i q[2] = {
            _mm512_sub_epi8(
                _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, shl), m30)), off),
            _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                            _mm512_and_si512(_mm512_srlv_epi16(qh, shr), m30)),
                            off)};
        __m512i isum = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {  // values 128 h + 32 k .., sub-blocks 8 h + 2 k, + 1
          const __m512i v =
              _mm512_cvtepi8_epi16(k % 2 ? _mm512_extracti64x4_epi64(q[k / 2], 1) : _mm512_castsi512_si256(q[k / 2]));
          const __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(pair, _mm512_set1_epi16(8 * h + 2 * k)), sc);
          isum =
              _mm512_dpwssd_epi32(isum, _mm512_mullo_epi16(v, scale), _mm512_loadu_si512(a[b].qs + 128 * h + 32 * k));
        }
        half_sums = _mm512_add_ps(half_sums, _mm512_cvtepi32_ps(isum));
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)), half_sums, acc);
    }
    return _mm512_reduce_add_ps(acc);
#elif defined(GLM4_QDOT_AVX2)
    // ggml's AVX2 structure: four 32-value vectors of codes per half, minus
    // 32; each 16-value sub-block widened to int16, times sc[s], pmaddwd
    // with its activations.
    const std::size_t nb = n / 256;
    const __m256i off = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      const std::int8_t* sc = w[b].scales;
      __m256 half_sums = _mm256_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        __m256i q[4];
        avx2_codes(w[b], h, q);
        __m256i isum = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
          const int s = 8 * h + 2 * k;  // sub-blocks s, s + 1
          const __m256i v = _mm256_sub_epi8(q[k], off);
          const std::int16_t* x = a[b].qs + 16 * s;
          isum = _mm256_add_epi32(
              isum, _mm256_madd_epi16(
                        _mm256_mullo_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)), _mm256_set1_epi16(sc[s])),
                        _mm256_loadu_si256((const __m256i*)x)));
          isum = _mm256_add_epi32(
              isum, _mm256_madd_epi16(_mm256_mullo_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)),
                                                         _mm256_set1_epi16(sc[s + 1])),
                                      _mm256_loadu_si256((const __m256i*)(x + 16))));
        }
        half_sums = _mm256_add_ps(half_sums, _mm256_cvtepi32_ps(isum));
      }
      acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)), half_sums, acc);
    }
    return qdetail::hsum(acc);
#else
    return portable_dot(w, a, n);
#endif
  }

#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_AVX2) || defined(GLM4_GEMV_NEON_DOTPROD)
  // Decode (one token), int8 activations with one scale per super-block
  // (q8k_bsums_act, ggml's q8_K): the unsigned codes u = q in [0, 63] times
  // the activations, each 16-value sub-block's sum weighted by sc[s] in
  // int32, the -32 offset as (32 sc[s]) neg_sums[s] in the same sum, then one
  // float step per super-block. In int16, code pairs times activations are
  // at most 2 * 63 * 127 = 16002 (vpmaddubsw cannot saturate) and
  // |32 sc| <= 4096; an int32 lane sums at most 2 + 16 such products times
  // scales (< 2^26).
  using gemv_activation = q8k_bsums_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) { qdetail::prepare_q8k_bsums(x, a, n); }
  // Its scalar reference, sub-block by sub-block with the codes minus 32.
  static float reference_gemv(const block* w, const gemv_activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 256; ++b)
      for (int s = 0; s < 16; ++s) {
        std::int32_t ss = 0;
        for (int j = 0; j < 16; ++j) ss += (code(w[b], 16 * s + j) - 32) * a[b].qs[16 * s + j];
        sum += static_cast<double>(quant::f16::to_float(w[b].d)) * w[b].scales[s] * a[b].d * ss;
      }
    return static_cast<float>(sum);
  }
#if defined(GLM4_GEMV_AVX512VBMI)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // Per half h, the 64 ql bytes and the half's 32 qh bytes in both 256-bit
    // halves: values 64 v + m of vector v = 2 h (low nibbles) and 2 h + 1
    // (high nibbles), their top bits from qh byte m % 32, bit pair
    // 2 (v % 2) + m / 32, moved to bits 4-5 by one gf2p8affineqb (whose 8x8
    // bit matrix is per 64-bit lane: pair p in lanes 0-3, p + 1 in 4-7).
    // Per vector one vpmaddubsw and one vpdpwssd by the scale words (word w
    // of vector v: sub-block 4 v + w / 8, one vpermw of the 16 scales).
    // 38 instructions per 210-byte super-block and row, loads included.
    constexpr auto pair_bits = [](int p) {  // bit 2 p -> bit 4 (matrix byte 3), 2 p + 1 -> 5 (byte 2)
      return static_cast<long long>(std::uint64_t{1} << (2 * p) << 24 | std::uint64_t{2} << (2 * p) << 16);
    };
    const __m512i bits01 = _mm512_inserti64x4(_mm512_set1_epi64(pair_bits(0)), _mm256_set1_epi64x(pair_bits(1)), 1);
    const __m512i bits23 = _mm512_inserti64x4(_mm512_set1_epi64(pair_bits(2)), _mm256_set1_epi64x(pair_bits(3)), 1);
    alignas(64) static constexpr auto words = qdetail::lane_table<std::uint16_t, 128>([](int i) { return i / 8; });
    const __m512i pick[4] = {_mm512_load_si512(words.data()), _mm512_load_si512(words.data() + 32),
                             _mm512_load_si512(words.data() + 64), _mm512_load_si512(words.data() + 96)};
    const __m512i m4 = _mm512_set1_epi8(15);
    qdetail::gemv_rows<R, sizeof(block)>(
        w, w_stride * sizeof(block), a, n / 256, out,
        [&](const std::uint8_t* bytes, const gemv_activation& x, __m512 acc) {
          const auto& b = *reinterpret_cast<const block*>(bytes);
          // the 16 scales as words, the upper 256 bits zero
          const __m512i sc =
              _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales))));
          const __m512i neg_sums =
              _mm512_zextsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(x.neg_sums)));
          __m512i isum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_slli_epi16(sc, 5), neg_sums);
          const auto part = [&](__m512i u, int v) {
            const __m512i pairs = _mm512_maddubs_epi16(u, _mm512_load_si512(x.qs + 64 * v));
            isum = _mm512_dpwssd_epi32(isum, pairs, _mm512_permutexvar_epi16(pick[v], sc));
          };
          __m512i qh = _mm512_loadu_si512(b.qh);
          qdetail::pin(qh);
          for (int h = 0; h < 2; ++h) {
            __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
            qdetail::pin(ql);  // one load for both uses (vpternlog overwrites its first operand)
            const __m512i q = h == 0 ? _mm512_shuffle_i64x2(qh, qh, 0x44) : _mm512_shuffle_i64x2(qh, qh, 0xee);
            // (ql & 15) | top bits: vpternlog's 0xea is (a & b) | c
            part(_mm512_ternarylogic_epi64(ql, m4, _mm512_gf2p8affine_epi64_epi8(q, bits01, 0), 0xea), 2 * h);
            part(_mm512_or_si512(qdetail::high_nibbles(ql), _mm512_gf2p8affine_epi64_epi8(q, bits23, 0)), 2 * h + 1);
          }
          return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
        });
  }

#elif defined(GLM4_GEMV_AVX2)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // AVX2: per half h, ggml's four 32-value vectors of codes (avx2_codes);
    // vector k = 4 h + j is sub-blocks 2 k (128-bit lane 0) and 2 k + 1
    // (lane 1): one vpmaddubsw, one vpmaddwd by their scale words (a vpshufb
    // of the half's 8 scales, broadcast to both lanes), added in int32.
    const auto pick = [](int j) {  // lane 0 <- word 2 j, lane 1 <- word 2 j + 1
      return _mm256_set_m128i(_mm_set1_epi16(static_cast<std::int16_t>((4 * j + 3) << 8 | (4 * j + 2))),
                              _mm_set1_epi16(static_cast<std::int16_t>((4 * j + 1) << 8 | 4 * j)));
    };
    const __m256i p[4] = {pick(0), pick(1), pick(2), pick(3)};
    qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const block* blk, std::size_t sb, __m256 acc) {
      const block& b = *blk;
      const gemv_activation& x = a[sb];
      const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
      __m256i isum =
          _mm256_madd_epi16(_mm256_slli_epi16(sc, 5), _mm256_load_si256(reinterpret_cast<const __m256i*>(x.neg_sums)));
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const __m256i half_scales = h == 0 ? _mm256_permute4x64_epi64(sc, 0x44) : _mm256_permute4x64_epi64(sc, 0xee);
        __m256i u[4];
        avx2_codes(b, h, u);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          const auto* xs = reinterpret_cast<const __m256i*>(x.qs + 128 * h + 32 * j);
          const __m256i pairs = _mm256_maddubs_epi16(u[j], _mm256_load_si256(xs));
          isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_shuffle_epi8(half_scales, p[j])));
        }
      }
      return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
    });
  }

#else
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // NEON: 16 codes at a time (ql's nibble and qh's bit pair joined by one
    // sli), one sdot against sub-block s's activations, times sc[s] into
    // the super-block's int32 sum (mla); the offset from neg_sums (smlal).
    const uint8x16_t m3 = vdupq_n_u8(3);
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 256, out, [&](const block& b, std::size_t sb, float32x4_t acc) {
      const gemv_activation& x = a[sb];
      const int16x8_t sc0 = vmovl_s8(vld1_s8(b.scales)), sc1 = vmovl_s8(vld1_s8(b.scales + 8));
      int32x4_t offset = vmull_s16(vget_low_s16(sc0), vld1_s16(x.neg_sums));
      offset = vmlal_high_s16(offset, sc0, vld1q_s16(x.neg_sums));
      offset = vmlal_s16(offset, vget_low_s16(sc1), vld1_s16(x.neg_sums + 8));
      offset = vmlal_high_s16(offset, sc1, vld1q_s16(x.neg_sums + 8));
      int32x4_t isum = vshlq_n_s32(offset, 5);
      const auto add = [&](uint8x16_t u, int v) {  // values v .. v + 15: sub-block v / 16
        const int32x4_t dot = vdotq_s32(vdupq_n_s32(0), vreinterpretq_s8_u8(u), vld1q_s8(x.qs + v));
        isum = vmlaq_n_s32(isum, dot, b.scales[v / 16]);
      };
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; l += 16) {
          const uint8x16_t qa = vld1q_u8(b.ql + 64 * h + l), qb = vld1q_u8(b.ql + 64 * h + 32 + l);
          const uint8x16_t qh = vld1q_u8(b.qh + 32 * h + l);
          const int v = 128 * h + l;
          add(vsliq_n_u8(qa, vandq_u8(qh, m3), 4), v);  // sli keeps the low 4 bits of qa
          add(vsliq_n_u8(qb, vandq_u8(vshrq_n_u8(qh, 2), m3), 4), v + 32);
          add(vsliq_n_u8(vshrq_n_u8(qa, 4), vandq_u8(vshrq_n_u8(qh, 4), m3), 4), v + 64);
          add(vsliq_n_u8(vshrq_n_u8(qb, 4), vshrq_n_u8(qh, 6), 4), v + 96);
        }
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(b.d) * x.d);
    });
  }
#endif
#endif

#if defined(GLM4_QDOT_AVX512VNNI)
  // One row against T activation rows: dot's VNNI loop with each quarter's
  // codes rebuilt and scaled once for all T (out[t * out_stride]).
  template <std::size_t T>
  static void dot_tokens(const block* w, const activation* a, std::size_t a_stride, std::size_t n, float* out,
                         std::size_t out_stride) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30), off = _mm512_set1_epi8(32);
    const __m512i shl = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
    const __m512i shr = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(0), _mm512_set1_epi16(2));
    const __m512i pair = _mm512_mask_blend_epi16(0xffff0000u, _mm512_setzero_si512(), _mm512_set1_epi16(1));
    __m512 acc[T];
    for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (std::size_t b = 0; b < n / 256; ++b) {
      const __m512i sc = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)w[b].scales)));
      __m512 half_sums[T];
      for (std::size_t t = 0; t < T; ++t) half_sums[t] = _mm512_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        const __m512i ql = _mm512_loadu_si512(w[b].ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[b].qh + 32 * h)));
        const __m512i q[2] = {
            _mm512_sub_epi8(
                _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, shl), m30)), off),
            _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                            _mm512_and_si512(_mm512_srlv_epi16(qh, shr), m30)),
                            off)};
        __m512i isum[T];
        for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {  // values 128 h + 32 k .., sub-blocks 8 h + 2 k, + 1
          const __m512i v =
              _mm512_cvtepi8_epi16(k % 2 ? _mm512_extracti64x4_epi64(q[k / 2], 1) : _mm512_castsi512_si256(q[k / 2]));
          const __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(pair, _mm512_set1_epi16(8 * h + 2 * k)), sc);
          const __m512i vs = _mm512_mullo_epi16(v, scale);
          for (std::size_t t = 0; t < T; ++t)
            isum[t] = _mm512_dpwssd_epi32(isum[t], vs, _mm512_loadu_si512(a[t * a_stride + b].qs + 128 * h + 32 * k));
        }
        for (std::size_t t = 0; t < T; ++t) half_sums[t] = _mm512_add_ps(half_sums[t], _mm512_cvtepi32_ps(isum[t]));
      }
      const float d = qdetail::half_to_float(w[b].d);
      for (std::size_t t = 0; t < T; ++t)
        acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(a[t * a_stride + b].d * d), half_sums[t], acc[t]);
    }
    for (std::size_t t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
  }

  // 4 rows x T tokens, prefill only (T >= 2): each weight super-block is
  // rebuilt once for T tokens. One token stays with dot.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 2) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    for (std::size_t r = 0; r < R; ++r) dot_tokens<T>(w + r * w_stride, a, a_stride, n, out + r, R);
  }
#endif
};

}  // namespace glm4::inline GLM4_TARGET::kernels
