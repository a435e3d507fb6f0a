// q8_0 weights x q16 activations: per 32-value block
//
//   sum_j (dw q[j]) (dx a[j]) = dw dx * isum,   isum = sum_j q[j] a[j]   (int32)
//
// accumulated in float per block, as ggml's ggml_vec_dot_q8_0_q8_0 with
// int16 activations. |isum| <= 32 * 128 * 32767 < 2^28: exact in int32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/activation_q16.hpp"
#include "glm4/kernels/activation_q8.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q8_0> : q16_activation {
  using block = quant::q8_0::block;

  // Scalar integer reference.
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      std::int32_t isum = 0;
      for (int j = 0; j < 32; ++j) isum += w[b].qs[j] * a[b].qs[j];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum;
    }
    return static_cast<float>(sum);
  }

  // Portable: Highway widening multiply-adds (vmlal_s16 on NEON).
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    for (std::size_t b = 0; b < n / 32; ++b)
      sum += qdetail::half_to_float(w[b].d) * a[b].d * static_cast<float>(qdetail::idot(w[b].qs, a[b].qs, 32));
    return sum;
  }

  static float dot(const block* w, const activation* a, std::size_t n) {
#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
    return qdetail::dot_blocks32(w, a, n / 32, [](const block& b) { return _mm256_loadu_si256((const __m256i*)b.qs); });
#else
    return portable_dot(w, a, n);
#endif
  }

#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_NEON_DOTPROD)
  // Decode (one token), int8 activations (AVX-512 here, NEON sdot below): R
  // rows (1 or 2) at a time, two blocks (68 bytes) per step against
  // q8x2_act. One vpermt2b gathers the two blocks' 64 codes, ^ 0x80 makes
  // them unsigned (q + 128, the -128 correction starts the sum), one
  // vpdpbusd, and one vpermw spreads the two f16 scales to their lanes
  // (add_scaled): 9 vector instructions per 68 bytes.
  using gemv_activation = q8x2_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x2(x, a, n, 128, qdetail::f16_fold);
  }
  // Its scalar reference, block by block.
  static float reference_gemv(const block* w, const gemv_activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const gemv_activation& x = a[b / 2];
      std::int32_t isum = 0;
      for (std::size_t j = 0; j < 32; ++j) isum += w[b].qs[j] * x.qs[32 * (b % 2) + j];
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[8 * (b % 2)] / qdetail::f16_fold)) * isum;
    }
    return static_cast<float>(sum);
  }
#if defined(GLM4_GEMV_AVX512VBMI)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // byte i <- qs[i % 32] of block i / 32 (bytes 34 k + 2 ..); word 2 l + 1
    // <- lane l's block's scale (bytes 34 k), even words zero
    alignas(64) static constexpr auto gather =
        qdetail::lane_table<std::uint8_t, 64>([](int i) { return 34 * (i / 32) + 2 + i % 32; });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) { return 17 * (i / 16); });
    const __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    qdetail::gemv_rows<R, 68>(
        w, w_stride * sizeof(block), a, n / 64, out,
        [&](const std::uint8_t* bytes, const qdetail::q8x2_regs& x, __m512 acc) {
          __m512i s0 = _mm512_loadu_si512(bytes);
          qdetail::pin(s0);  // for the scales' vpermw, not a second load
          const __m512i s1 =
              _mm512_castsi128_si512(_mm_cvtsi32_si128(*reinterpret_cast<const std::int32_t*>(bytes + 64)));
          const __m512i u = _mm512_xor_si512(_mm512_permutex2var_epi8(s0, gi, s1), flip);
          return qdetail::add_scaled(_mm512_dpbusd_epi32(x.corr, u, x.qs),
                                     _mm512_maskz_permutexvar_epi16(0xaaaaaaaa, si, s0), x.d, acc);
        },
        qdetail::f16_unfold);
  }
#else
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // NEON: per block, its 32 signed codes against its 32 activations, two
    // sdot (the layout's -128 correction is for the unsigned x86 kernel).
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 2];
      const std::int8_t* xs = x.qs + 32 * (b % 2);
      const int32x4_t isum = vdotq_s32(vdotq_s32(vdupq_n_s32(0), vld1q_s8(blk.qs), vld1q_s8(xs)),
                                       vld1q_s8(blk.qs + 16), vld1q_s8(xs + 16));
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[8 * (b % 2)]);
    });
  }
#endif
#endif

#if defined(GLM4_QDOT_AVX512VNNI)
  // 4 rows x T tokens: values 0-15 and 16-31 of the four rows in 128-bit
  // lanes, sign-extended to int16 in lane (unpack with itself, shift right
  // arithmetic 8); see qdetail::tile4_blocks32. Prefill only (T >= 2):
  // dot already runs at memory speed for one token, and four rows are four
  // DRAM streams where a row at a time is one.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 2) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    qdetail::tile4_blocks32<T>(w, w_stride, a, a_stride, n / 32, 1.0f, out,
                               [](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
                                 const __m512i lo = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
                                 const __m512i hi = qdetail::row_lanes(b0.qs + 16, b1.qs + 16, b2.qs + 16, b3.qs + 16);
                                 e[0] = _mm512_srai_epi16(_mm512_unpacklo_epi8(lo, lo), 8);
                                 e[1] = _mm512_srai_epi16(_mm512_unpackhi_epi8(lo, lo), 8);
                                 e[2] = _mm512_srai_epi16(_mm512_unpacklo_epi8(hi, hi), 8);
                                 e[3] = _mm512_srai_epi16(_mm512_unpackhi_epi8(hi, hi), 8);
                               });
  }
#endif
};

}  // namespace glm4::inline GLM4_TARGET::kernels
