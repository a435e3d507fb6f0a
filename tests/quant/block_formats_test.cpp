// The block formats against ggml's definitions: hand-built blocks decode to
// the values the layout says, the reference encoders make ggml's choices,
// round trips stay within each format's error, and q8_0 / q4_0 / q5_1
// re-encode their own output unchanged. (Bit-exactness against gguf-py's
// decoder and llama-quantize's encoder on real files:
// tests/io/gguf_fixtures_test.cpp.)
#define BOOST_TEST_MODULE quant_block_formats
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "glm4/quant/formats.hpp"

namespace q = glm4::quant;

namespace {

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

template <q::block_format F>
std::vector<typename F::block> encode(const std::vector<float>& x) {
  std::vector<typename F::block> blocks(x.size() / F::block_elems);
  F::quantize(x.data(), blocks.data(), x.size());
  return blocks;
}

template <q::block_format F>
std::vector<float> decode(const std::vector<typename F::block>& blocks) {
  std::vector<float> y(blocks.size() * F::block_elems);
  F::dequantize(blocks.data(), y.data(), y.size());
  return y;
}

template <class B>
bool same_bytes(const std::vector<B>& a, const std::vector<B>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(B)) == 0;
}

std::uint16_t half(float f) { return q::f16::from_float(f).bits; }

// Largest |y - x| over a run, relative to that run's largest |x|.
double worst_relative_error(const std::vector<float>& x, const std::vector<float>& y, std::size_t run) {
  double worst = 0;
  for (std::size_t b = 0; b < x.size(); b += run) {
    double amax = 0, err = 0;
    for (std::size_t i = b; i < b + run; ++i) {
      amax = std::max(amax, std::fabs(double(x[i])));
      err = std::max(err, std::fabs(double(y[i]) - double(x[i])));
    }
    worst = std::max(worst, err / amax);
  }
  return worst;
}

double rms_relative_error(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0, s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    e += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
    s += double(x[i]) * x[i];
  }
  return std::sqrt(e / s);
}

}  // namespace

// Every known format but the float ones (one value per block), as a type list.
template <q::block_format... Fs>
auto quantized_of(q::format_list<Fs...>)
    -> decltype(std::tuple_cat(std::conditional_t<(Fs::block_elems > 1), std::tuple<Fs>, std::tuple<>>{}...));
using quantized_formats = decltype(quantized_of(q::known_formats{}));

BOOST_AUTO_TEST_CASE(block_sizes_are_ggmls) {
  BOOST_TEST(q::block_bytes<q::f16> == 2u);
  BOOST_TEST(q::block_bytes<q::q8_0> == 34u);
  BOOST_TEST(q::block_bytes<q::q4_0> == 18u);
  BOOST_TEST(q::block_bytes<q::q4_1> == 20u);
  BOOST_TEST(q::block_bytes<q::q5_0> == 22u);
  BOOST_TEST(q::block_bytes<q::q5_1> == 24u);
  BOOST_TEST(q::block_bytes<q::q4_k> == 144u);
  BOOST_TEST(q::block_bytes<q::q5_k> == 176u);
  BOOST_TEST(q::block_bytes<q::q6_k> == 210u);
  BOOST_TEST(q::traits_of(q::ggml_type::q6_k).block_elems == 256u);
  BOOST_TEST(q::type_name(q::ggml_type::q4_k) == "q4_k");
  BOOST_TEST(q::type_name(static_cast<q::ggml_type>(7)) == "q5_1");
  BOOST_TEST(q::traits_of(q::ggml_type::q5_1).block_elems == 32u);
  BOOST_TEST(q::traits_of(q::ggml_type::q5_1).block_bytes == 24u);
  BOOST_TEST(q::block_bytes<q::iq4_nl> == 18u);
  BOOST_TEST(q::block_bytes<q::iq4_xs> == 136u);
  BOOST_TEST(q::type_name(static_cast<q::ggml_type>(23)) == "iq4_xs");
  BOOST_TEST(q::type_name(static_cast<q::ggml_type>(21)) == "ggml type 21");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(all_zero_blocks_stay_zero, F, quantized_formats) {
  const std::vector<float> x(F::block_elems * 2, 0.0f);
  for (float v : decode<F>(encode<F>(x))) BOOST_TEST_REQUIRE(v == 0.0f);
}

// Error bounds, relative to each block's largest magnitude (worst case) and
// to the signal (RMS) on Gaussian data. The worst cases follow from the
// formats: q8_0 rounds to d / 2 = amax / 254; q4_0 / q5_0 put amax on their
// long side, so a value of the other sign near amax clips by one step
// (amax / 8, amax / 16); q4_1 / q5_1 round to half of (max - min) / 15 or
// / 31, at most amax / 15 or amax / 31, plus the f16 rounding of d and m. The
// k-quants have no closed form; their bounds are what ggml's search reaches,
// with margin. A format added to known_formats fails here until it has one.
BOOST_AUTO_TEST_CASE_TEMPLATE(round_trip_error_is_bounded, F, quantized_formats) {
  const auto x = gaussian(256 * 64, 7);
  const auto y = decode<F>(encode<F>(x));
  struct bound {
    double worst, rms;
  };
  const bound b = std::is_same_v<F, q::q8_0>   ? bound{0.0045, 0.006}
                  : std::is_same_v<F, q::q4_0> ? bound{0.126, 0.095}
                  : std::is_same_v<F, q::q4_1> ? bound{0.068, 0.085}
                  : std::is_same_v<F, q::q5_0> ? bound{0.0631, 0.048}
                  : std::is_same_v<F, q::q5_1> ? bound{0.0335, 0.042}
                  : std::is_same_v<F, q::q4_k> ? bound{0.1, 0.08}
                  : std::is_same_v<F, q::q5_k> ? bound{0.05, 0.045}
                  : std::is_same_v<F, q::q6_k> ? bound{0.025, 0.022}
                  : std::is_same_v<F, q::iq4_nl> ? bound{0.13, 0.08}
                  : std::is_same_v<F, q::iq4_xs> ? bound{0.1, 0.08}
                                               : bound{0, 0};
  const double worst = worst_relative_error(x, y, F::block_elems);
  const double rms = rms_relative_error(x, y);
  BOOST_TEST_MESSAGE(F::name << ": worst " << worst << ", rms " << rms);
  BOOST_TEST(worst <= b.worst, F::name << " worst-case error " << worst << " exceeds " << b.worst);
  BOOST_TEST(rms <= b.rms, F::name << " RMS error " << rms << " exceeds " << b.rms);
}

// ggml's q8_0 and q4_0 encoders give back the blocks their decoder came from.
BOOST_AUTO_TEST_CASE(q8_0_and_q4_0_are_idempotent) {
  const auto x = gaussian(32 * 500, 11, 0.02f);
  const auto b8 = encode<q::q8_0>(x);
  BOOST_TEST(same_bytes(encode<q::q8_0>(decode<q::q8_0>(b8)), b8));
  const auto b4 = encode<q::q4_0>(x);
  BOOST_TEST(same_bytes(encode<q::q4_0>(decode<q::q4_0>(b4)), b4));
}

// So does q5_1's: the decoded block's min and max are m and m + 31 d, which
// give back the same f16 d and m and so the same codes.
BOOST_AUTO_TEST_CASE(q5_1_is_idempotent) {
  for (float sigma : {0.02f, 1.0f, 300.0f}) {
    const auto b = encode<q::q5_1>(gaussian(32 * 500, 12, sigma));
    BOOST_TEST(same_bytes(encode<q::q5_1>(decode<q::q5_1>(b)), b), "q5_1 re-encode changed blocks at sigma " << sigma);
  }
}

BOOST_AUTO_TEST_CASE(q8_0_rounds_half_away_from_zero) {
  // amax 127 makes d = 1 exactly, so codes are roundf(x).
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  x[4] = -126.49f;
  const auto b = encode<q::q8_0>(x);
  BOOST_TEST(b[0].d.bits == half(1.0f));
  BOOST_TEST(b[0].qs[0] == 127);
  BOOST_TEST(b[0].qs[1] == 3);  // nearest-even would give 2
  BOOST_TEST(b[0].qs[2] == -3);
  BOOST_TEST(b[0].qs[3] == 1);
  BOOST_TEST(b[0].qs[4] == -126);
}

BOOST_AUTO_TEST_CASE(q4_0_scale_takes_the_sign_of_the_largest_value) {
  // Largest magnitude +8: d = 8 / -8 = -1, so +8 is code 0 (exact) and the
  // short side of [-8, 7] lands on the negatives: -8 clips to -7.
  std::vector<float> x(32, 0.0f);
  x[0] = 8.0f;
  x[1] = -7.0f;
  x[2] = -8.0f;
  x[3] = 3.0f;
  x[16] = 1.0f;
  const auto b = encode<q::q4_0>(x);
  BOOST_TEST(b[0].d.bits == half(-1.0f));
  BOOST_TEST((b[0].qs[0] & 15) == 0);   // 8 = -1 * (0 - 8)
  BOOST_TEST((b[0].qs[1] & 15) == 15);  // -7
  BOOST_TEST((b[0].qs[2] & 15) == 15);  // -8 clipped to -7
  BOOST_TEST((b[0].qs[3] & 15) == 5);   // 3 = -1 * (5 - 8)
  BOOST_TEST((b[0].qs[0] >> 4) == 7);   // x[16] = 1 in the high nibble of byte 0
  const auto y = decode<q::q4_0>(b);
  BOOST_TEST(y[0] == 8.0f);
  BOOST_TEST(y[2] == -7.0f);
  BOOST_TEST(y[16] == 1.0f);
  // On a magnitude tie the first value wins: -8 first gives d = +1.
  std::swap(x[0], x[2]);
  BOOST_TEST(encode<q::q4_0>(x)[0].d.bits == half(1.0f));
}

BOOST_AUTO_TEST_CASE(q4_1_and_q5_0_layouts) {
  q::q4_1::block b41{};
  b41.d = q::f16::from_float(0.5f);
  b41.m = q::f16::from_float(-2.0f);
  b41.qs[3] = 0xa3;  // value 3 -> code 3, value 19 -> code 10
  const auto y41 = decode<q::q4_1>({b41});
  BOOST_TEST(y41[3] == -0.5f);
  BOOST_TEST(y41[19] == 3.0f);
  BOOST_TEST(y41[0] == -2.0f);

  q::q5_0::block b50{};
  b50.d = q::f16::from_float(0.25f);
  b50.qs[2] = 0x4f;   // low nibble of value 2: 15, of value 18: 4
  b50.qh[0] = 0x04;   // bit 2: value 2 has its fifth bit set
  b50.qh[2] = 0x04;   // bit 18: value 18 too
  const auto y50 = decode<q::q5_0>({b50});
  BOOST_TEST(y50[2] == 0.25f * (31 - 16));
  BOOST_TEST(y50[18] == 0.25f * (20 - 16));
  BOOST_TEST(y50[0] == 0.25f * -16);
}

BOOST_AUTO_TEST_CASE(iq4_nl_and_iq4_xs_layouts) {
  const auto& levels = q::nonlinear_4bit::levels;
  q::iq4_nl::block nl{};
  nl.d = q::f16::from_float(0.5f);
  nl.qs[3] = 0xa3;  // value 3 -> code 3, value 19 -> code 10
  const auto y = decode<q::iq4_nl>({nl});
  BOOST_TEST(y[3] == 0.5f * -65);
  BOOST_TEST(y[19] == 0.5f * 25);
  BOOST_TEST(y[0] == 0.5f * -127);

  // Sub-block 5: low scale bits in the high nibble of scales_l[2], high bits
  // in bits 10-11 of scales_h; its codes are bytes 80 .. 95.
  q::iq4_xs::block xs{};
  xs.d = q::f16::from_float(0.25f);
  for (auto& l : xs.scales_l) l = 0x00;
  xs.scales_l[2] = 0x70;
  xs.scales_h = 0x3 << 10;      // sub-block 5: ls = 0x37 = 55 -> 23; the others ls 0 -> -32
  xs.qs[16 * 5 + 2] = 0xf1;    // value 160 + 2 -> code 1, 160 + 18 -> code 15
  const auto yx = decode<q::iq4_xs>({xs});
  BOOST_TEST(yx[160 + 2] == 0.25f * 23 * levels[1]);
  BOOST_TEST(yx[160 + 18] == 0.25f * 23 * levels[15]);
  BOOST_TEST(yx[0] == 0.25f * -32 * levels[0]);
  BOOST_TEST(q::iq4_xs::sub_scale(xs, 4) == -32);
}

// iq4_xs: d = -(the sub-block scale of largest magnitude) / 32, so that
// sub-block stores -32 (ls 0) and every other fits in [-32, 31].
BOOST_AUTO_TEST_CASE(iq4_xs_scales_against_the_largest_sub_block) {
  for (const auto& b : encode<q::iq4_xs>(gaussian(256 * 16, 9, 0.02f))) {
    int smallest = 31;
    for (int s = 0; s < 8; ++s) smallest = std::min(smallest, q::iq4_xs::sub_scale(b, s));
    BOOST_TEST(smallest == -32);
  }
}

BOOST_AUTO_TEST_CASE(q5_1_layout) {
  q::q5_1::block b{};
  b.d = q::f16::from_float(0.5f);
  b.m = q::f16::from_float(-3.0f);
  b.qs[2] = 0x4f;  // low nibble of value 2: 15, of value 18: 4
  b.qh[0] = 0x04;  // bit 2: value 2 has its fifth bit set -> code 31
  b.qh[2] = 0x04;  // bit 18: value 18 too -> code 20
  b.qs[5] = 0xa0;  // value 21: code 10, no fifth bit
  b.qh[3] = 0x80;  // bit 31: value 31 -> code 16
  const auto y = decode<q::q5_1>({b});
  BOOST_TEST(y[2] == 0.5f * 31 - 3.0f);
  BOOST_TEST(y[18] == 0.5f * 20 - 3.0f);
  BOOST_TEST(y[21] == 0.5f * 10 - 3.0f);
  BOOST_TEST(y[31] == 0.5f * 16 - 3.0f);
  BOOST_TEST(y[0] == -3.0f);  // code 0 is the block minimum
  BOOST_TEST(y[15] == -3.0f);
  // The runtime bridge (what a loaded GGUF tensor goes through) decodes the
  // same values from the raw bytes.
  std::vector<float> z(32);
  q::dequantize(q::ggml_type::q5_1, std::as_bytes(std::span(&b, 1)), z.data(), z.size());
  BOOST_TEST(z == y, boost::test_tools::per_element());
}

namespace {
// ggml's quantize_row_q5_1_ref transcribed: m = min, d = (max - min) / 31,
// codes (uint8_t)((x - min) / d + 0.5) without a clamp, low nibbles in qs,
// fifth bits in a little-endian uint32 qh.
std::vector<q::q5_1::block> ggml_q5_1_ref(const std::vector<float>& x) {
  std::vector<q::q5_1::block> y(x.size() / 32);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const float* v = &x[i * 32];
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < 32; ++j) {
      if (v[j] < min) min = v[j];
      if (v[j] > max) max = v[j];
    }
    const float d = (max - min) / ((1 << 5) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = q::f16::from_float(d);
    y[i].m = q::f16::from_float(min);
    std::uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
      const float x0 = (v[j] - min) * id;
      const float x1 = (v[16 + j] - min) * id;
      const auto xi0 = static_cast<std::uint8_t>(x0 + 0.5f);
      const auto xi1 = static_cast<std::uint8_t>(x1 + 0.5f);
      y[i].qs[j] = static_cast<std::uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
      qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, sizeof(qh));  // ggml's layout is the host's (little-endian) uint32
  }
  return y;
}

std::uint8_t q5_1_code(const q::q5_1::block& b, int j) {
  const int k = j % 16;
  const int low = j < 16 ? b.qs[k] & 15 : b.qs[k] >> 4;
  return static_cast<std::uint8_t>(low | ((b.qh[j / 8] >> (j % 8)) & 1) << 4);
}
}  // namespace

BOOST_AUTO_TEST_CASE(q5_1_encoder_is_ggmls) {
  // Gaussian blocks at weight and unit scale, and shifted to one sign.
  auto x = gaussian(32 * 400, 13, 0.02f);
  const auto unit = gaussian(32 * 400, 14);
  x.insert(x.end(), unit.begin(), unit.end());
  for (std::size_t i = 0; i < 32 * 100; ++i) x.push_back(std::fabs(unit[i]) + 0.5f);
  for (std::size_t i = 0; i < 32 * 100; ++i) x.push_back(-std::fabs(unit[i]) - 2.0f);
  BOOST_TEST(same_bytes(encode<q::q5_1>(x), ggml_q5_1_ref(x)), "q5_1 blocks differ from ggml's quantize_row_q5_1_ref");
}

BOOST_AUTO_TEST_CASE(q5_1_maps_min_to_code_0_and_max_to_code_31) {
  // On the grid -3 + 0.25 q (d = 7.75 / 31 = 0.25 and 1 / d exact) every
  // value gets its own code back and decodes exactly; min and max take the
  // ends, and both halves of the block and the fifth bit are used.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = -3.0f + 0.25f * static_cast<float>((j * 7) % 32);
  auto b = encode<q::q5_1>(x);
  BOOST_TEST(b[0].d.bits == half(0.25f));
  BOOST_TEST(b[0].m.bits == half(-3.0f));
  for (int j = 0; j < 32; ++j) {
    BOOST_TEST_INFO("value " << j);
    BOOST_TEST(q5_1_code(b[0], j) == (j * 7) % 32);
  }
  BOOST_TEST(decode<q::q5_1>(b) == x, boost::test_tools::per_element());

  // Halfway between codes rounds up (trunc(t + 0.5)), not to even:
  // -3 + 0.25 * 2.5 is code 3, -3 + 0.25 * 4.5 code 5.
  x[1] = -3.0f + 0.25f * 2.5f;
  x[2] = -3.0f + 0.25f * 4.5f;
  b = encode<q::q5_1>(x);
  BOOST_TEST(q5_1_code(b[0], 1) == 3);
  BOOST_TEST(q5_1_code(b[0], 2) == 5);
}

BOOST_AUTO_TEST_CASE(q5_1_constant_and_one_signed_blocks) {
  // min = max: d = 0, every code 0, and the block decodes to m (the
  // constant in f16), whatever its sign.
  for (float c : {1.7f, -0.031f, 0.0f, 65504.0f}) {
    const std::vector<float> x(32, c);
    const auto b = encode<q::q5_1>(x);
    BOOST_TEST_INFO("constant " << c);
    BOOST_TEST(b[0].d.bits == half(0.0f));
    BOOST_TEST(b[0].m.bits == half(c));
    for (int j = 0; j < 32; ++j) BOOST_TEST_REQUIRE(q5_1_code(b[0], j) == 0);
    for (float v : decode<q::q5_1>(b)) BOOST_TEST_REQUIRE(v == q::f16::to_float(q::f16::from_float(c)));
  }
  // All negative (or all positive) values: the offset is the block's own
  // minimum, so no code is spent on the other sign (q5_0 would use half).
  std::vector<float> neg(32);
  for (int j = 0; j < 32; ++j) neg[j] = -5.0f + 4.0f * static_cast<float>(j) / 31.0f;
  std::reverse(neg.begin(), neg.end());
  const auto b = encode<q::q5_1>(neg);
  BOOST_TEST(b[0].m.bits == half(-5.0f));
  BOOST_TEST(b[0].d.bits == half(4.0f / 31.0f));
  for (int j = 0; j < 32; ++j) BOOST_TEST(q5_1_code(b[0], j) == 31 - j);
  const auto y = decode<q::q5_1>(b);
  for (int j = 0; j < 32; ++j) BOOST_TEST(std::fabs(y[j] - neg[j]) <= 2e-3f);  // f16 d and m only
  BOOST_TEST(same_bytes(b, ggml_q5_1_ref(neg)));
}

BOOST_AUTO_TEST_CASE(q4_k_and_q5_k_unpack_six_bit_scales) {
  // Sub-block 5's scale (bits 4-5 in byte 1, bits 0-3 in byte 9) and min.
  q::q4_k::block b{};
  b.d = q::f16::from_float(1.0f);
  b.dmin = q::f16::from_float(0.5f);
  const std::uint8_t ls[8] = {1, 2, 3, 4, 5, 45, 7, 63};
  const std::uint8_t lm[8] = {0, 0, 0, 0, 0, 33, 0, 62};
  q::k_quants::pack_scale_mins(ls, lm, b.scales);
  for (int s = 0; s < 8; ++s) {
    BOOST_TEST(q::k_quants::get_scale_min(b.scales, s).scale == ls[s]);
    BOOST_TEST(q::k_quants::get_scale_min(b.scales, s).min == lm[s]);
  }
  // Value 160 + 2 is sub-block 5 (the high nibbles of chunk 2).
  b.qs[64 + 2] = 0x70;
  const auto y = decode<q::q4_k>({b});
  BOOST_TEST(y[160 + 2] == 45.0f * 7 - 0.5f * 33);
  BOOST_TEST(y[128 + 2] == 5.0f * 0);

  q::q5_k::block b5{};
  b5.d = q::f16::from_float(1.0f);
  b5.dmin = q::f16::from_float(0.0f);
  q::k_quants::pack_scale_mins(ls, lm, b5.scales);
  b5.qs[64 + 2] = 0x70;
  b5.qh[2] = 0x20;  // bit 2 * 2 + 1: value 160 + 2's fifth bit
  const auto y5 = decode<q::q5_k>({b5});
  BOOST_TEST(y5[160 + 2] == 45.0f * 23);
}

BOOST_AUTO_TEST_CASE(q6_k_layout) {
  q::q6_k::block b{};
  b.d = q::f16::from_float(0.5f);
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<std::int8_t>(s - 8);
  // Value 128 + 96 + 17 (second half, fourth quarter): high nibble of
  // ql[64 + 32 + 17], bits 6-7 of qh[32 + 17]; sub-block (224 + 17) / 16 = 15.
  b.ql[64 + 32 + 17] = 0x90;
  b.qh[32 + 17] = 0x80;  // top bits 2 -> code 0x29 = 41
  const auto y = decode<q::q6_k>({b});
  BOOST_TEST(y[128 + 96 + 17] == 0.5f * 7 * (41 - 32));
  BOOST_TEST(y[0] == 0.5f * -8 * -32);
}

BOOST_AUTO_TEST_CASE(k_quant_encoders_scale_against_the_largest_sub_block) {
  const auto x = gaussian(256 * 8, 5);
  // q4_k / q5_k: d = max scale / 63 and dmin = max min / 63, so the largest
  // sub-block scale and min are stored as 63.
  const auto check_scales_and_mins = [](const auto& blocks) {
    for (const auto& b : blocks) {
      int max_scale = 0, max_min = 0;
      for (int s = 0; s < 8; ++s) {
        max_scale = std::max<int>(max_scale, q::k_quants::get_scale_min(b.scales, s).scale);
        max_min = std::max<int>(max_min, q::k_quants::get_scale_min(b.scales, s).min);
      }
      BOOST_TEST(max_scale == 63);
      BOOST_TEST(max_min == 63);
    }
  };
  check_scales_and_mins(encode<q::q4_k>(x));
  check_scales_and_mins(encode<q::q5_k>(x));
  // q6_k: d = (largest-magnitude scale) / -128, so that sub-block stores -128
  // and the others fit in [-128, 127].
  for (const auto& b : encode<q::q6_k>(x))
    BOOST_TEST(*std::min_element(std::begin(b.scales), std::end(b.scales)) == -128);
}
