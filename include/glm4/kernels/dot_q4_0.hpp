// q4_0 weights x q16 activations: per 32-value block, codes q in [0, 15],
//
//   sum_j dw (q[j] - 8) dx a[j] = dw dx * isum,   isum = sum_j (q[j] - 8) a[j]
//
// accumulated in float per block (ggml's ggml_vec_dot_q4_0_q8_0 with int16
// activations). |isum| <= 32 * 8 * 32767 < 2^23: exact in int32. Byte k of
// the block holds q[k] (low nibble) and q[k + 16] (high nibble), so "low
// nibbles then high nibbles" is the block's value order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activation_q16.hpp"
#include "glm4/kernels/activation_q8.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q4_0> : q16_activation {
  using block = quant::q4_0::block;

  // Scalar integer reference.
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      std::int32_t isum = 0;
      for (int j = 0; j < 16; ++j)
        isum += ((w[b].qs[j] & 15) - 8) * a[b].qs[j] + ((w[b].qs[j] >> 4) - 8) * a[b].qs[j + 16];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum;
    }
    return static_cast<float>(sum);
  }

  // Portable: unpack to int8 (q - 8), then the widening int16 dot product.
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t q[32];
    for (std::size_t b = 0; b < n / 32; ++b) {
      qdetail::split_nibbles(w[b].qs, 16, q, q + 16, 8);  // byte k: values k, k + 16
      sum += qdetail::half_to_float(w[b].d) * a[b].d * static_cast<float>(qdetail::idot(q, a[b].qs, 32));
    }
    return sum;
  }

  static float dot(const block* w, const activation* a, std::size_t n) {
#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
    // [low nibbles | high nibbles] - 8: the block's 32 values in order.
    const __m256i m4 = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m128i r = _mm_loadu_si128((const __m128i*)b.qs);
      return _mm256_sub_epi8(_mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(r, 4), r), m4), eight);
    });
#else
    return portable_dot(w, a, n);
#endif
  }

#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_AVX2) || defined(GLM4_GEMV_NEON_DOTPROD)
  // Decode (one token), int8 activations (AVX-512 here; AVX2 and NEON sdot
  // below): R rows (1 or 2) at a time, four blocks (72 bytes) of each per
  // step against q8x4_act (see there). Two loads and one vpermt2b gather the four blocks' 64 code bytes; & 15 and
  // high_nibbles are the low- and high-nibble values, two vpdpbusd (started
  // from the -8 correction) the integer sums with lanes 4k .. 4k + 3 for
  // block k, and one vpermw spreads the four f16 scales to their lanes
  // (add_scaled): 11 vector instructions per 72 bytes. Zen 4 retires about
  // 1.5 of them per cycle, whatever their kind, so the count is the speed.
  using gemv_activation = q8x4_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x4(x, a, n, 8, qdetail::f16_fold);
  }
  // Its scalar reference, block by block in value order.
  static float reference_gemv(const block* w, const gemv_activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      std::int32_t isum = 0;
      for (std::size_t j = 0; j < 16; ++j)
        isum += ((w[b].qs[j] & 15) - 8) * x.lo[16 * k + j] + ((w[b].qs[j] >> 4) - 8) * x.hi[16 * k + j];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[4 * k] / qdetail::f16_fold)) * isum;
    }
    return static_cast<float>(sum);
  }
#if defined(GLM4_GEMV_AVX512VBMI)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // byte i <- qs[i % 16] of block i / 16 (bytes 18 k + 2 ..); word 2 l + 1
    // <- lane l's block's scale (bytes 18 k), even words zero
    alignas(64) static constexpr auto gather =
        qdetail::lane_table<std::uint8_t, 64>([](int i) { return 18 * (i / 16) + 2 + i % 16; });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) { return 9 * (i / 8); });
    const __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    const __m512i m4 = _mm512_set1_epi8(15);
    qdetail::gemv_rows<R, 72>(
        w, w_stride * sizeof(block), a, n / 128, out,
        [&](const std::uint8_t* bytes, const qdetail::q8x4_regs& x, __m512 acc) {
          __m512i s0 = _mm512_loadu_si512(bytes);
          qdetail::pin(s0);  // for the scales' vpermw, not a second load
          const __m512i s1 = _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes + 64)));
          const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
          const __m512i isum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(x.corr, _mm512_and_si512(q, m4), x.lo),
                                                   qdetail::high_nibbles(q), x.hi);
          return qdetail::add_scaled(isum, _mm512_maskz_permutexvar_epi16(0xaaaaaaaa, si, s0), x.d, acc);
        },
        qdetail::f16_unfold);
  }

#elif defined(GLM4_GEMV_AVX2)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // AVX2: two blocks per step, their 16 code bytes in the two 128-bit
    // lanes; & 15 and >> 4 & 15 against q8x4_act's lo and hi bytes of the
    // same two blocks (lo[32 h ..], hi[32 h ..]), two vpmaddubsw (each int16
    // at most 2 * 15 * 127) added, one vpmaddwd to int32 lanes 4 per block,
    // the -8 correction, and the two f16 scales spread by one vpshufb.
    const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    const __m128i spread = _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
    qdetail::avx2_gemv_rows<R, 2>(w, w_stride, n / 64, out, [&](const block* b, std::size_t p, __m256 acc) {
      const gemv_activation& x = a[p / 2];
      const std::size_t h = p % 2;
      const __m256i q = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1].qs)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0].qs)));
      const __m256i xlo = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.lo + 32 * h));
      const __m256i xhi = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.hi + 32 * h));
      const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(q, m4), xlo),
                                           _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), xhi));
      const __m256i corr = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
      const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s16, ones), corr);
      const int scales = static_cast<int>(b[0].d.bits | std::uint32_t{b[1].d.bits} << 16);
      const __m256 dw = _mm256_cvtph_ps(_mm_shuffle_epi8(_mm_cvtsi32_si128(scales), spread));
      return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_load_ps(x.d + 8 * h)), acc);
    });
  }
#else
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // NEON: per block, (q & 15) - 8 and (q >> 4) - 8 against its 16 low
    // and 16 high activations, two sdot.
    const uint8x16_t m4 = vdupq_n_u8(15);
    const int8x16_t eight = vdupq_n_s8(8);
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      const uint8x16_t q = vld1q_u8(blk.qs);
      const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), eight);
      const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
      const int32x4_t isum =
          vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(x.lo + 16 * k)), hi, vld1q_s8(x.hi + 16 * k));
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[4 * k]);
    });
  }
#endif
#endif

#if defined(GLM4_QDOT_AVX512VNNI)
  // 4 rows x T tokens (matmul's decode and prefill tiles): the rows' 16
  // code bytes in the four 128-bit lanes, low nibbles (values 0-15) and
  // high nibbles (16-31) minus 8, placed in the high byte of each int16
  // (256 (q - 8), |.| <= 2048) by one unpack; see qdetail::tile4_blocks32.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    qdetail::tile4_blocks32<T>(w, w_stride, a, a_stride, n / 32, 1.0f / 256.0f, out,
                               [&](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
                                 const __m512i q = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
                                 qdetail::widen_x256(_mm512_sub_epi8(_mm512_and_si512(q, m4), eight), e);
                                 qdetail::widen_x256(
                                     _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), eight), e + 2);
                               });
  }
#endif
};

}  // namespace glm4::inline GLM4_TARGET::kernels
