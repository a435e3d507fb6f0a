// q5_0 weights x q16 activations: per 32-value block, codes q in [0, 31],
//
//   sum_j dw (q[j] - 16) dx a[j] = dw dx * isum,   isum = sum_j (q[j] - 16) a[j]
//
// accumulated in float per block (ggml's ggml_vec_dot_q5_0_q8_0 with int16
// activations). |isum| <= 32 * 16 * 32767 < 2^24: exact in int32. Value j's
// low four bits are nibble j of the block's "low nibbles then high nibbles"
// (as q4_0), its fifth bit is bit j of qh. GLM-4-9B's Q4_K_M files store
// ffn_down (rows of 13696, no whole 256-value super-blocks) as q5_0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activation_q16.hpp"
#include "glm4/kernels/activation_q8.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/five_bit_codes.hpp"
#include "glm4/quant/q5_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q5_0> : q16_activation {
  using block = quant::q5_0::block;

  static std::uint32_t high_bits(const block& b) { return quant::five_bit::high_bits(b.qh); }

  // Scalar integer reference.
  static float reference_dot(const block* w, const activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const std::uint32_t qh = high_bits(w[b]);
      std::int32_t isum = 0;
      for (int j = 0; j < 16; ++j) {
        const int lo = (w[b].qs[j] & 15) | static_cast<int>((qh >> j) & 1) << 4;
        const int hi = (w[b].qs[j] >> 4) | static_cast<int>((qh >> (j + 16)) & 1) << 4;
        isum += (lo - 16) * a[b].qs[j] + (hi - 16) * a[b].qs[j + 16];
      }
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * a[b].d) * isum;
    }
    return static_cast<float>(sum);
  }

  // Portable: nibbles minus 16, plus 16 where the fifth bit is set (bit j of
  // qh spread to byte j by a byte shuffle and a per-lane bit test), then the
  // widening int16 dot product.
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t q[32];
    for (std::size_t b = 0; b < n / 32; ++b) {
      qdetail::split_nibbles(w[b].qs, 16, q, q + 16, 16);
#if HWY_TARGET == HWY_SCALAR
      const std::uint32_t qh = high_bits(w[b]);
      for (int j = 0; j < 32; ++j) q[j] = static_cast<std::int8_t>(q[j] + 16 * ((qh >> j) & 1));
#else
      const hn::FixedTag<std::uint8_t, 16> du;
      const hn::FixedTag<std::int8_t, 16> di;
      alignas(16) static constexpr std::uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
      alignas(16) static constexpr std::uint8_t kByte[2][16] = {{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
                                                                { 2,
                                                                  2,
                                                                  2,
                                                                  2,
                                                                  2,
                                                                  2,
                                                                  2,
                                                                  2,
                                                                  3,
                                                                  3,
                                                                  3,
                                                                  3,
                                                                  3,
                                                                  3,
                                                                  3,
                                                                  3 }};
      alignas(16) std::uint8_t qh16[16] = {};
      std::memcpy(qh16, w[b].qh, 4);
      const auto qh = hn::Load(du, qh16), bit = hn::Load(du, kBit);
      for (int h = 0; h < 2; ++h) {
        const auto set = hn::TestBit(hn::TableLookupBytes(qh, hn::Load(du, kByte[h])), bit);
        const auto v = hn::LoadU(di, q + 16 * h);
        hn::StoreU(hn::Add(v, hn::BitCast(di, hn::IfThenElseZero(set, hn::Set(du, 16)))), di, q + 16 * h);
      }
#endif
      sum += qdetail::half_to_float(w[b].d) * a[b].d * static_cast<float>(qdetail::idot(q, a[b].qs, 32));
    }
    return sum;
  }

  static float dot(const block* w, const activation* a, std::size_t n) {
#if defined(GLM4_QDOT_AVX512VNNI)
    // Nibbles in value order; subtract 16 where bit j of qh is clear (as a
    // mask register: byte j <-> bit j), leaving q - 16 as int8.
    const __m256i m4 = _mm256_set1_epi8(0x0f), sixteen = _mm256_set1_epi8(16);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m128i r = _mm_loadu_si128((const __m128i*)b.qs);
      const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(r, 4), r), m4);
      return _mm256_mask_sub_epi8(nib, _cvtu32_mask32(~high_bits(b)), nib, sixteen);
    });
#elif defined(GLM4_QDOT_AVX2)
    // ggml's bytes_from_bits_32: byte j = 0xff iff bit j of qh is set (byte
    // j / 8 of qh broadcast, every bit but j % 8 forced on, compared with
    // 0xff). Where the bit is clear, nibble | 0xf0 is nibble - 16 as int8;
    // where it is set, the nibble itself is q - 16.
    const __m256i m4 = _mm256_set1_epi8(0x0f), f0 = _mm256_set1_epi8(static_cast<char>(0xf0));
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i other_bits = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    return qdetail::dot_blocks32(w, a, n / 32, [&](const block& b) {
      const __m128i r = _mm_loadu_si128((const __m128i*)b.qs);
      const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(r, 4), r), m4);
      const __m256i bytes =
          _mm256_or_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(high_bits(b))), spread), other_bits);
      const __m256i set = _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(-1));
      return _mm256_or_si256(nib, _mm256_andnot_si256(set, f0));
    });
#else
    return portable_dot(w, a, n);
#endif
  }

#if defined(GLM4_GEMV_AVX512VBMI) || defined(GLM4_GEMV_NEON_DOTPROD)
  // Decode (one token), int8 activations (AVX-512 here, NEON sdot below):
  // q4_0's kernel (dot_q4_0.hpp) on 88-byte groups of four blocks, loaded
  // as bytes 0-63 and 24-87, with the fifth bits OR-ed in as 16 under two
  // 64-bit masks (byte 16 k + j of the low-nibble vector <-> bit j of block
  // k's qh, of the high-nibble vector <-> bit j + 16) and the -16
  // correction.
  using gemv_activation = q8x4_act;
  static void gemv_prepare(const float* x, gemv_activation* a, std::size_t n) {
    qdetail::prepare_q8x4(x, a, n, 16, qdetail::f16_fold);
  }
  // Its scalar reference, block by block in value order.
  static float reference_gemv(const block* w, const gemv_activation* a, std::size_t n) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n / 32; ++b) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      const std::uint32_t qh = high_bits(w[b]);
      std::int32_t isum = 0;
      for (std::size_t j = 0; j < 16; ++j) {
        const int lo = (w[b].qs[j] & 15) | static_cast<int>((qh >> j) & 1u) << 4;
        const int hi = (w[b].qs[j] >> 4) | static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        isum += (lo - 16) * x.lo[16 * k + j] + (hi - 16) * x.hi[16 * k + j];
      }
      sum += static_cast<double>(quant::f16::to_float(w[b].d) * (x.d[4 * k] / qdetail::f16_fold)) * isum;
    }
    return static_cast<float>(sum);
  }
#if defined(GLM4_GEMV_AVX512VBMI)
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // byte i <- qs[i % 16] of block i / 16 (bytes 22 k + 6 ..), word 2 l + 1
    // <- lane l's block's scale (bytes 22 k), even words zero; past byte 63
    // from the second load, which starts at 24 (a permute's second table:
    // index 64 + o - 24)
    alignas(64) static constexpr auto gather = qdetail::lane_table<std::uint8_t, 64>([](int i) {
      const int o = 22 * (i / 16) + 6 + i % 16;
      return o < 64 ? o : o + 40;
    });
    alignas(64) static constexpr auto spread = qdetail::lane_table<std::uint16_t, 32>([](int i) {
      const int o = 22 * (i / 8);
      return (o < 64 ? o : o + 40) / 2;
    });
    const __m512i gi = _mm512_load_si512(gather.data()), si = _mm512_load_si512(spread.data());
    const __m512i m4 = _mm512_set1_epi8(15), sixteen = _mm512_set1_epi8(16);
    qdetail::gemv_rows<R, 88>(
        w, w_stride * sizeof(block), a, n / 128, out,
        [&](const std::uint8_t* bytes, const qdetail::q8x4_regs& x, __m512 acc) {
          const auto* b = reinterpret_cast<const block*>(bytes);
          const std::uint64_t h0 = high_bits(b[0]), h1 = high_bits(b[1]), h2 = high_bits(b[2]), h3 = high_bits(b[3]);
          const __mmask64 lo_bits = (h0 & 0xffff) | (h1 & 0xffff) << 16 | (h2 & 0xffff) << 32 | h3 << 48;
          const __mmask64 hi_bits = h0 >> 16 | (h1 >> 16) << 16 | (h2 >> 16) << 32 | (h3 >> 16) << 48;
          __m512i s0 = _mm512_loadu_si512(bytes), s1 = _mm512_loadu_si512(bytes + 24);
          qdetail::pin(s0, s1);  // for the scales' vpermw, not two more loads
          const __m512i q = _mm512_permutex2var_epi8(s0, gi, s1);
          const __m512i ql4 = _mm512_and_si512(q, m4), qh4 = qdetail::high_nibbles(q);
          const __m512i ql = _mm512_mask_add_epi8(ql4, lo_bits, ql4, sixteen);
          const __m512i qhi = _mm512_mask_add_epi8(qh4, hi_bits, qh4, sixteen);
          const __m512i isum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(x.corr, ql, x.lo), qhi, x.hi);
          return qdetail::add_scaled(isum, _mm512_maskz_permutex2var_epi16(0xaaaaaaaa, s0, si, s1), x.d, acc);
        },
        qdetail::f16_unfold);
  }
#else
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // NEON: per block, the fifth bits as bytes (qh's byte j / 8 to byte j
    // by one table lookup, bit j % 8 tested), OR-ed in as 16 into the low
    // and high nibbles, minus 16, and two sdot against the block's 16 low
    // and 16 high activations.
    alignas(16) static constexpr std::uint8_t lo_bytes[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    alignas(16) static constexpr std::uint8_t hi_bytes[16] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    alignas(16) static constexpr std::uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t lo_index = vld1q_u8(lo_bytes), hi_index = vld1q_u8(hi_bytes), bits = vld1q_u8(bit);
    const uint8x16_t m4 = vdupq_n_u8(15), sixteen = vdupq_n_u8(16);
    const auto with_fifth_bit = [&](uint8x16_t nibbles, uint8x16_t qh, uint8x16_t index) {
      const uint8x16_t fifth = vandq_u8(vtstq_u8(vqtbl1q_u8(qh, index), bits), sixteen);
      return vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(nibbles, fifth)), vreinterpretq_s8_u8(sixteen));
    };
    qdetail::neon_gemv_rows<R>(w, w_stride, n / 32, out, [&](const block& blk, std::size_t b, float32x4_t acc) {
      const gemv_activation& x = a[b / 4];
      const std::size_t k = b % 4;
      const uint8x16_t q = vld1q_u8(blk.qs);
      const uint8x16_t qh = vreinterpretq_u8_u32(vdupq_n_u32(high_bits(blk)));
      const int8x16_t lo = with_fifth_bit(vandq_u8(q, m4), qh, lo_index);
      const int8x16_t hi = with_fifth_bit(vshrq_n_u8(q, 4), qh, hi_index);
      const int32x4_t isum =
          vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(x.lo + 16 * k)), hi, vld1q_s8(x.hi + 16 * k));
      return vfmaq_n_f32(acc, vcvtq_f32_s32(isum), qdetail::half_to_float(blk.d) * x.d[4 * k]);
    });
  }
#endif
#endif

#if defined(GLM4_QDOT_AVX512VNNI)
  // 4 rows x T tokens: q4_0's row lanes, with the fifth bits as 64-bit
  // masks (byte 16 r + j of the low-nibble vector <-> bit j of row r's qh,
  // of the high-nibble vector <-> bit j + 16), then 256 (q - 16), |.| <=
  // 4096, by one unpack; see qdetail::tile4_blocks32.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(16);
    qdetail::tile4_blocks32<T>(
        w, w_stride, a, a_stride, n / 32, 1.0f / 256.0f, out,
        [&](const block& b0, const block& b1, const block& b2, const block& b3, __m512i* e) {
          const std::uint64_t h0 = high_bits(b0), h1 = high_bits(b1), h2 = high_bits(b2), h3 = high_bits(b3);
          const std::uint64_t lo_bits = (h0 & 0xffff) | (h1 & 0xffff) << 16 | (h2 & 0xffff) << 32 | h3 << 48;
          const std::uint64_t hi_bits = h0 >> 16 | (h1 & 0xffff0000) | (h2 >> 16) << 32 | (h3 & 0xffff0000) << 32;
          const __m512i q = qdetail::row_lanes(b0.qs, b1.qs, b2.qs, b3.qs);
          const __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
          qdetail::widen_x256(_mm512_mask_sub_epi8(lo, _cvtu64_mask64(~lo_bits), lo, sixteen), e);
          qdetail::widen_x256(_mm512_mask_sub_epi8(hi, _cvtu64_mask64(~hi_bits), hi, sixteen), e + 2);
        });
  }
#endif
};

}  // namespace glm4::inline GLM4_TARGET::kernels
