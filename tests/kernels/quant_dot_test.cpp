// Integer dot products of the quantized formats (kernels/<format>.hpp):
//   - prepare() (SIMD) gives exactly the scalar reference's int16 blocks;
//   - with integer scales and small activation codes every path (SIMD,
//     portable, scalar reference) is an exact integer sum, so they must
//     agree exactly;
//   - at the extremes of every code range (the int32 overflow bounds in the
//     kernels' comments) and on full-range int16 codes, the float
//     combination of the exact integer sums is within float rounding;
//   - on random data the SIMD and portable paths equal the scalar integer
//     reference up to float summation order (1e-5 of sum |w x|), and all of
//     them are within the activation rounding error of the float dot;
//   - the int8 decode kernels and the 4-row tiles, in cases of their own
//     that report themselves skipped where the target compiles none.
#define BOOST_TEST_MODULE quant_dot
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/reference.hpp"
#include "glm4/runtime/matmul.hpp"
#include "kernels/random_activations.hpp"
#include "kernels/skip_unless_compiled.hpp"

using namespace glm4;
namespace q = glm4::quant;

namespace {

using testing::random_activations;
using testing::skip_unless_compiled;

template <class F>
std::vector<std::size_t> lengths() {
  std::vector<std::size_t> out;
  for (std::size_t n : {256, 4096, 13696})
    if (n % F::block_elems == 0 && n % kernels::dot_traits<F>::activation_block_elems == 0) out.push_back(n);
  return out;
}

// Random activation blocks with d = 1 and codes in [-amax, amax].
template <class A>
std::vector<A> integer_activations(std::size_t blocks, unsigned seed, int amax) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(-amax, amax);
  std::vector<A> a(blocks);
  for (auto& b : a) {
    std::memset(&b, 0, sizeof b);
    b.d = 1.0f;
    for (auto& c : b.qs) c = static_cast<std::int16_t>(code(rng));
    if constexpr (std::is_same_v<A, kernels::q16k_act>) kernels::qdetail::fill_sums(b);
  }
  return a;
}

// Weight scales set to 1 (f16 0x3c00) so every product is an integer.
template <class F>
void unit_scales(std::vector<typename F::block>& w) {
  for (auto& b : w) {
    b.d = {0x3c00};
    if constexpr (requires { b.dmin; }) b.dmin = {0x3c00};  // q4_k, q5_k
    if constexpr (requires { b.m; }) b.m = {0x3c00};        // q4_1, q5_1: minimum 1
  }
}

// Random weight blocks: random bytes, unit scales.
template <class F>
std::vector<typename F::block> integer_weights(std::size_t blocks, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<typename F::block> w(blocks);
  auto* bytes = reinterpret_cast<unsigned char*>(w.data());
  for (std::size_t i = 0; i < w.size() * sizeof(typename F::block); ++i) bytes[i] = static_cast<unsigned char>(rng());
  unit_scales<F>(w);
  return w;
}

// Codes in [-2, 2]: the largest |weight value| of any format is 128 * 32
// (q6_k's sc (q - 32)) or 63 * 31 + 63 (q5_k's two terms), so for n <= 512
// every partial sum, in any order, is below 512 * 4096 * 2 < 2^24 and exact
// in f32: all paths must agree exactly.
template <class F>
void check_integer_exactness() {
  using T = kernels::dot_traits<F>;
  for (std::size_t n : {std::size_t{256}, std::size_t{512}}) {
    const auto w = integer_weights<F>(n / F::block_elems, 100 + static_cast<unsigned>(n));
    const auto a =
        integer_activations<typename T::activation>(n / T::activation_block_elems, 200 + static_cast<unsigned>(n), 2);
    const float ref = T::reference_dot(w.data(), a.data(), n);
    BOOST_TEST_INFO(F::name << " n = " << n);
    BOOST_TEST(T::dot(w.data(), a.data(), n) == ref);
    BOOST_TEST(T::portable_dot(w.data(), a.data(), n) == ref);
  }
}

// Full-range codes: the integer sums are exact, their float combination
// rounds (relative 2^-24 per step).
template <class F>
void check_full_range() {
  using T = kernels::dot_traits<F>;
  const std::size_t n = 4096;
  const auto w = integer_weights<F>(n / F::block_elems, 300);
  const auto a = integer_activations<typename T::activation>(n / T::activation_block_elems, 400, 32767);
  // sum |w a| from the dequantized (integer) weights
  std::vector<float> wd(n);
  F::dequantize(w.data(), wd.data(), n);
  double l1 = 0;
  for (std::size_t i = 0; i < n; ++i)
    l1 += std::fabs(static_cast<double>(wd[i]) * a[i / T::activation_block_elems].qs[i % T::activation_block_elems]);
  const float ref = T::reference_dot(w.data(), a.data(), n);
  BOOST_TEST_INFO(F::name << ": ref " << ref << " l1 " << l1);
  BOOST_TEST(std::fabs(T::dot(w.data(), a.data(), n) - ref) <= 1e-6 * l1);
  BOOST_TEST(std::fabs(T::portable_dot(w.data(), a.data(), n) - ref) <= 1e-6 * l1);
}

// Every weight at the largest magnitude its format allows, every activation
// at +-32767 with the weight's sign: each vector lane reaches the bound in
// the kernel's comment, and an int32 overflow anywhere shows as a wrong sign
// or a value far off.
template <class F>
struct extremes {
  using T = kernels::dot_traits<F>;
  static constexpr std::size_t n = 4096;
  std::vector<typename F::block> w;
  std::vector<typename T::activation> a;
  std::int16_t x;  // every activation code
  float weight;    // every weight value
  double expect;   // the dot: n * weight * x
};

template <class F>
extremes<F> extreme_rows() {
  using T = kernels::dot_traits<F>;
  const std::size_t n = extremes<F>::n;
  std::vector<typename F::block> w(n / F::block_elems);
  std::memset(w.data(), 0, w.size() * sizeof w[0]);
  std::int16_t x = -32767;  // codes 0 decode to the most negative value (q4_0, q5_0, q6_k's q - 32, iq4_nl's -127)
  for (auto& b : w) {
    if constexpr (std::is_same_v<F, q::q8_0>) {
      std::memset(b.qs, 0x80, sizeof b.qs);  // -128
    } else if constexpr (std::is_same_v<F, q::q4_k>) {
      std::memset(b.qs, 0xff, sizeof b.qs);          // codes 15
      std::memset(b.scales, 0xff, sizeof b.scales);  // scales and mins 63
      x = 32767;
    } else if constexpr (std::is_same_v<F, q::q5_k>) {
      std::memset(b.qs, 0xff, sizeof b.qs);  // codes 31
      std::memset(b.qh, 0xff, sizeof b.qh);
      std::memset(b.scales, 0xff, sizeof b.scales);  // scales and mins 63
      x = 32767;
    } else if constexpr (std::is_same_v<F, q::q4_1>) {
      std::memset(b.qs, 0xff, sizeof b.qs);  // codes 15: 15 d + m = 16
      x = 32767;
    } else if constexpr (std::is_same_v<F, q::q5_1>) {
      std::memset(b.qs, 0xff, sizeof b.qs);  // codes 31: 31 d + m = 32
      std::memset(b.qh, 0xff, sizeof b.qh);
      x = 32767;
    } else if constexpr (std::is_same_v<F, q::q6_k>) {
      std::memset(b.scales, 0x80, sizeof b.scales);  // sc = -128: sc (q - 32) = 4096
      x = 32767;
    } else if constexpr (std::is_same_v<F, q::iq4_xs>) {
      x = 32767;  // scales ls 0 (-32), codes 0 (level -127): 4064
    }
  }
  unit_scales<F>(w);
  std::vector<typename T::activation> a(n / T::activation_block_elems);
  for (auto& b : a) {
    std::memset(&b, 0, sizeof b);
    b.d = 1.0f;
    for (auto& c : b.qs) c = x;
    if constexpr (std::is_same_v<typename T::activation, kernels::q16k_act>) kernels::qdetail::fill_sums(b);
  }
  // Every value is the same: sum = n * w * x.
  std::vector<float> wd(n);
  F::dequantize(w.data(), wd.data(), n);
  return {std::move(w), std::move(a), x, wd[0], static_cast<double>(n) * wd[0] * x};
}

template <class F>
void check_extremes() {
  using T = kernels::dot_traits<F>;
  const auto e = extreme_rows<F>();
  const auto& [w, a, expect, n] = std::tie(e.w, e.a, e.expect, e.n);
  BOOST_TEST_INFO(F::name << ": weight value " << e.weight << " expect " << expect);
  BOOST_TEST(expect > 0.0);
  BOOST_TEST(std::fabs(T::reference_dot(w.data(), a.data(), n) - expect) <= 1e-6 * expect);
  BOOST_TEST(std::fabs(T::dot(w.data(), a.data(), n) - expect) <= 1e-6 * expect);
  BOOST_TEST(std::fabs(T::portable_dot(w.data(), a.data(), n) - expect) <= 1e-6 * expect);
}

// The tiles at the extreme codes, every row and token the same (strides 0).
template <class F>
void check_tile_extremes() {
  using T = kernels::dot_traits<F>;
  const auto e = extreme_rows<F>();
  const auto tile = [&]<std::size_t Tk>() {
    if constexpr (kernels::has_dot_tile<F, 4, Tk>) {
      float out[4 * Tk];
      T::template dot_tile<4, Tk>(e.w.data(), 0, e.a.data(), 0, e.n, out);
      for (float v : out) BOOST_TEST(std::fabs(v - e.expect) <= 1e-6 * e.expect);
    }
  };
  tile.template operator()<1>();
  tile.template operator()<4>();
}

// The int8 decode kernel at the same extreme codes, activations all +-1
// (int8 code +-127).
template <class F>
void check_gemv_extremes() {
  using T = kernels::dot_traits<F>;
  if constexpr (kernels::has_gemv<F>) {
    const auto e = extreme_rows<F>();
    const float xs = e.x > 0 ? 1.0f : -1.0f;
    const std::vector<float> xf(e.n, xs);
    std::vector<typename T::gemv_activation> g(e.n / T::gemv_activation::values);
    T::gemv_prepare(xf.data(), g.data(), e.n);
    float v;
    T::template gemv_dot<1>(e.w.data(), 0, g.data(), e.n, &v);
    const double expect = static_cast<double>(e.n) * e.weight * xs;
    BOOST_TEST_INFO(F::name << ": weight value " << e.weight << " expect " << expect);
    BOOST_TEST(std::fabs(v - expect) <= 1e-6 * std::fabs(expect));
  }
}

// The int8 decode activations' rounding bound for weights wd: each value
// is off by at most d / 2, d = amax / 127 of its scale group (A::scale_values
// values: a block, or q8k_act's whole super-block).
template <class A>
double int8_rounding_bound(const std::vector<float>& wd, const std::vector<float>& x) {
  double bound = 0;
  for (std::size_t g = 0; g < x.size(); g += A::scale_values) {
    float amax = 0;
    for (std::size_t j = g; j < g + A::scale_values; ++j) amax = std::max(amax, std::fabs(x[j]));
    for (std::size_t j = g; j < g + A::scale_values; ++j) bound += std::fabs(wd[j]) * (amax / 127.0f) * 0.5;
  }
  return bound;
}

// A random row quantized to F and random activations; the dequantized
// weights wd, sum |w x| (which scales the summation tolerance) and the float
// dot of the dequantized row.
template <class F>
struct random_case {
  std::vector<typename F::block> w;
  std::vector<float> x, wd;
  double l1 = 0;
  float exact;
};

template <class F>
random_case<F> random_row(std::size_t n, unsigned seed) {
  random_case<F> c;
  const auto wf = random_activations(n, seed * 10 + 1);
  c.x = random_activations(n, seed * 10 + 2, 3.0f);
  c.w.resize(n / F::block_elems);
  F::quantize(wf.data(), c.w.data(), n);
  c.wd.resize(n);
  F::dequantize(c.w.data(), c.wd.data(), n);
  for (std::size_t i = 0; i < n; ++i) c.l1 += std::fabs(c.wd[i] * c.x[i]);
  c.exact = kernels::reference::dot<F>(c.w.data(), c.x.data(), n);
  return c;
}

template <class F>
void check_random() {
  using T = kernels::dot_traits<F>;
  for (std::size_t n : lengths<F>()) {
    for (unsigned seed : {1u, 2u, 3u}) {
      const auto c = random_row<F>(n, seed);
      const auto& [w, x, wd, l1, exact] = std::tie(c.w, c.x, c.wd, c.l1, c.exact);
      std::vector<typename T::activation> a(n / T::activation_block_elems);
      T::prepare(x.data(), a.data(), n);

      // the activation rounding bound: sum_blocks (dx / 2) sum |w|
      double bound = 0;
      for (std::size_t i = 0; i < n; ++i) bound += std::fabs(wd[i]) * a[i / T::activation_block_elems].d * 0.5;

      const float ref = T::reference_dot(w.data(), a.data(), n);
      const float simd = T::dot(w.data(), a.data(), n);
      const float portable = T::portable_dot(w.data(), a.data(), n);
      BOOST_TEST_INFO(F::name << " n = " << n << " seed " << seed << ": ref " << ref << " simd " << simd << " portable "
                              << portable << " float dot " << exact << " bound " << bound);
      BOOST_TEST(std::fabs(simd - ref) <= 1e-5 * l1);
      BOOST_TEST(std::fabs(portable - ref) <= 1e-5 * l1);
      BOOST_TEST(std::fabs(ref - exact) <= bound + 1e-5 * l1);
      BOOST_TEST(std::fabs(simd - exact) <= bound + 1e-5 * l1);
      // and the typical error is far below the hard bound (random signs)
      BOOST_TEST(std::fabs(simd - exact) <= 0.25 * bound);
      // kernels::dot (prepare + dot) is the same thing
      BOOST_TEST(kernels::dot<F>(w.data(), x.data(), n) == simd);
    }
  }
}

// The int8 decode kernel over its own activation layout: within the int8
// rounding bound of the float dot, equal for one and two rows.
template <class F>
void check_gemv_random() {
  using T = kernels::dot_traits<F>;
  if constexpr (kernels::has_gemv<F>) {
    for (std::size_t n : lengths<F>()) {
      for (unsigned seed : {1u, 2u, 3u}) {
        const auto c = random_row<F>(n, seed);
        const auto& [w, x, wd, l1, exact] = std::tie(c.w, c.x, c.wd, c.l1, c.exact);
        std::vector<typename T::gemv_activation> g(n / T::gemv_activation::values);
        T::gemv_prepare(x.data(), g.data(), n);
        const double bound8 = int8_rounding_bound<typename T::gemv_activation>(wd, x);
        float one, two[2];
        T::template gemv_dot<1>(w.data(), 0, g.data(), n, &one);
        T::template gemv_dot<2>(w.data(), 0, g.data(), n, two);
        BOOST_TEST_INFO("gemv " << one << " bound " << bound8);
        BOOST_TEST(std::fabs(one - exact) <= bound8 + 1e-5 * l1);
        BOOST_TEST(std::fabs(one - exact) <= 0.25 * bound8);
        BOOST_TEST(std::fabs(one - T::reference_gemv(w.data(), g.data(), n)) <= 1e-5 * l1);
        BOOST_TEST(two[0] == one);
        BOOST_TEST(two[1] == one);
      }
    }
  }
}

// The int8 decode's tile for a few tokens, where the format has one: each
// token's value equals gemv_dot's for that token alone, bit for bit (batched
// decode and speculative drafts rely on it), at every tile width and
// however the row is split.
template <class F>
void check_gemv_tile() {
  using T = kernels::dot_traits<F>;
  if constexpr (kernels::has_gemv_tile<F>) {
    constexpr std::size_t tokens = 8;
    for (std::size_t n : lengths<F>()) {
      const auto c = random_row<F>(n, 9);
      const std::size_t stride = n / T::gemv_activation::values;
      std::vector<typename T::gemv_activation> g(tokens * stride);
      std::vector<float> alone(tokens);
      for (std::size_t t = 0; t < tokens; ++t) {
        const auto x = random_activations(n, 100 + static_cast<unsigned>(t), 0.5f + static_cast<float>(t));
        T::gemv_prepare(x.data(), g.data() + t * stride, n);
        T::template gemv_dot<1>(c.w.data(), 0, g.data() + t * stride, n, &alone[t]);
      }
      // the whole row in one call, and in chunks of one activation group
      const auto tile = [&]<std::size_t Tokens>() {
        for (std::size_t chunk : {n, T::gemv_activation::values}) {
          typename T::gemv_partial acc[Tokens]{};
          for (std::size_t c0 = 0; c0 < n; c0 += chunk)
            T::template gemv_tile<Tokens>(c.w.data(), g.data(), stride, c0, c0 + chunk, acc, 0);
          for (std::size_t t = 0; t < Tokens; ++t) {
            BOOST_TEST_INFO(F::name << " n = " << n << ": tile of " << Tokens << ", token " << t << ", chunks of "
                                    << chunk);
            BOOST_TEST(T::gemv_partial_sum(acc[t]) == alone[t]);
          }
        }
      };
      tile.template operator()<1>();
      tile.template operator()<2>();
      tile.template operator()<4>();
      tile.template operator()<8>();
    }
  }
}

// Where the tile exists, the concept must see it (else the check above
// and the batched matmuls would quietly take the one-token path).
#if defined(GLM4_GEMV_AVX2) || defined(GLM4_GEMV_AVX512VBMI)
static_assert(kernels::has_gemv_tile<q::q8_0> && kernels::has_gemv_tile<q::q4_0> && kernels::has_gemv_tile<q::q5_0> &&
              kernels::has_gemv_tile<q::q4_1> && kernels::has_gemv_tile<q::q5_1> && kernels::has_gemv_tile<q::q4_k> &&
              kernels::has_gemv_tile<q::q5_k> && kernels::has_gemv_tile<q::q6_k> &&
              kernels::has_gemv_tile<q::iq4_nl> && kernels::has_gemv_tile<q::iq4_xs>);
#endif

template <class T>
void check_prepare(std::size_t n) {
  using A = typename T::activation;
  const auto x = random_activations(n, 77, 2.0f);
  std::vector<A> simd(n / T::activation_block_elems), ref(simd.size());
  T::prepare(x.data(), simd.data(), n);
  T::reference_prepare(x.data(), ref.data(), n);
  for (std::size_t b = 0; b < simd.size(); ++b) {
    BOOST_TEST_INFO("block " << b);
    BOOST_TEST(simd[b].d == ref[b].d);
    BOOST_TEST(std::memcmp(&simd[b], &ref[b], sizeof(A)) == 0);
  }
  // ties round to even: x = 2.5 d lands on 2
  std::vector<float> t(n, 0.0f);
  t[0] = 32767.0f;
  t[1] = 2.5f;
  t[2] = -3.5f;
  T::prepare(t.data(), simd.data(), n);
  BOOST_TEST(simd[0].d == 1.0f);
  BOOST_TEST(simd[0].qs[0] == 32767);
  BOOST_TEST(simd[0].qs[1] == 2);
  BOOST_TEST(simd[0].qs[2] == -4);
  // all-zero block: d = 0, codes 0
  BOOST_TEST(simd[1].d == 0.0f);
}

}  // namespace

BOOST_AUTO_TEST_CASE(prepare_matches_scalar_reference) {
  check_prepare<kernels::q16_activation>(4096);
  check_prepare<kernels::q16k_activation>(4096);
}

BOOST_AUTO_TEST_CASE(integer_sums_are_exact) {
  check_integer_exactness<q::q8_0>();
  check_integer_exactness<q::q4_0>();
  check_integer_exactness<q::q5_0>();
  check_integer_exactness<q::q4_1>();
  check_integer_exactness<q::q5_1>();
  check_integer_exactness<q::q4_k>();
  check_integer_exactness<q::q5_k>();
  check_integer_exactness<q::q6_k>();
  check_integer_exactness<q::iq4_nl>();
  check_integer_exactness<q::iq4_xs>();
}

BOOST_AUTO_TEST_CASE(full_range_int16_codes) {
  check_full_range<q::q8_0>();
  check_full_range<q::q4_0>();
  check_full_range<q::q5_0>();
  check_full_range<q::q4_1>();
  check_full_range<q::q5_1>();
  check_full_range<q::q4_k>();
  check_full_range<q::q5_k>();
  check_full_range<q::q6_k>();
  check_full_range<q::iq4_nl>();
  check_full_range<q::iq4_xs>();
}

BOOST_AUTO_TEST_CASE(no_int32_overflow_at_the_extremes) {
  check_extremes<q::q8_0>();
  check_extremes<q::q4_0>();
  check_extremes<q::q5_0>();
  check_extremes<q::q4_1>();
  check_extremes<q::q5_1>();
  check_extremes<q::q4_k>();
  check_extremes<q::q5_k>();
  check_extremes<q::q6_k>();
  check_extremes<q::iq4_nl>();
  check_extremes<q::iq4_xs>();
}

BOOST_AUTO_TEST_CASE(q8_0_random) { check_random<q::q8_0>(); }
BOOST_AUTO_TEST_CASE(q4_0_random) { check_random<q::q4_0>(); }
BOOST_AUTO_TEST_CASE(q5_0_random) { check_random<q::q5_0>(); }
BOOST_AUTO_TEST_CASE(q4_1_random) { check_random<q::q4_1>(); }
BOOST_AUTO_TEST_CASE(q5_1_random) { check_random<q::q5_1>(); }
BOOST_AUTO_TEST_CASE(q4_k_random) { check_random<q::q4_k>(); }
BOOST_AUTO_TEST_CASE(q5_k_random) { check_random<q::q5_k>(); }
BOOST_AUTO_TEST_CASE(q6_k_random) { check_random<q::q6_k>(); }
BOOST_AUTO_TEST_CASE(iq4_nl_random) { check_random<q::iq4_nl>(); }
BOOST_AUTO_TEST_CASE(iq4_xs_random) { check_random<q::iq4_xs>(); }

// The decode kernels of f16-scaled blocks widen the scales with integer
// instructions (x86/avx512_gemv_rows.hpp's add_scaled): rows whose blocks all have
// scales of one magnitude, zero, f16 subnormals, tiny normals, 1 and near
// the f16 maximum, each against the double dot of its dequantized weights.
template <class F>
void check_gemv_scale_range() {
  using T = kernels::dot_traits<F>;
  if constexpr (kernels::has_gemv<F>) {
    const std::size_t n = 512;
    const auto x = random_activations(n, 41, 2.0f);
    std::vector<typename T::gemv_activation> g(n / T::gemv_activation::values);
    T::gemv_prepare(x.data(), g.data(), n);
    // weight magnitudes: scales ~ magnitude / 8 (q4_0), / 16 (q5_0), / 127 (q8_0);
    // q4_1 and q5_1's minimum ~ -magnitude goes through the same widening
    for (float magnitude : {0.0f, 2e-6f, 2e-4f, 1.0f, 4000.0f}) {
      auto wf = random_activations(n, 42);
      for (auto& v : wf) v *= magnitude;
      std::vector<typename F::block> w(n / F::block_elems);
      F::quantize(wf.data(), w.data(), n);
      std::vector<float> wd(n);
      F::dequantize(w.data(), wd.data(), n);
      const double bound8 = int8_rounding_bound<typename T::gemv_activation>(wd, x);
      double exact = 0, l1 = 0;
      for (std::size_t j = 0; j < n; ++j) {
        exact += static_cast<double>(wd[j]) * x[j];
        l1 += std::fabs(static_cast<double>(wd[j]) * x[j]);
      }
      float one;
      T::template gemv_dot<1>(w.data(), 0, g.data(), n, &one);
      BOOST_TEST_INFO(F::name << " weights ~" << magnitude << ": gemv " << one << " exact " << exact);
      BOOST_TEST(std::isfinite(one));
      BOOST_TEST(std::fabs(one - exact) <= bound8 + 1e-5 * l1);
      BOOST_TEST(std::fabs(one - T::reference_gemv(w.data(), g.data(), n)) <= 1e-5 * l1);
      if (magnitude == 0.0f) BOOST_TEST(one == 0.0f);
    }
  }
}

// The int8 decode kernel (gemv_dot) of a format, where this target compiles
// one: random rows, the extreme codes and, for blocks with an f16 scale, the
// weight scale range.
template <class F>
void check_int8_decode() {
  check_gemv_random<F>();
  check_gemv_tile<F>();
  check_gemv_extremes<F>();
  if constexpr (F::block_elems == 32 || std::is_same_v<F, q::iq4_xs>) check_gemv_scale_range<F>();
}

template <class F>
boost::unit_test::precondition where_int8_decode() {
  return skip_unless_compiled(kernels::has_gemv<F>, std::string(F::name) + "'s int8 decode kernel");
}

BOOST_AUTO_TEST_CASE(q8_0_int8_decode, *where_int8_decode<q::q8_0>()) { check_int8_decode<q::q8_0>(); }
BOOST_AUTO_TEST_CASE(q4_0_int8_decode, *where_int8_decode<q::q4_0>()) { check_int8_decode<q::q4_0>(); }
BOOST_AUTO_TEST_CASE(q5_0_int8_decode, *where_int8_decode<q::q5_0>()) { check_int8_decode<q::q5_0>(); }
BOOST_AUTO_TEST_CASE(q4_1_int8_decode, *where_int8_decode<q::q4_1>()) { check_int8_decode<q::q4_1>(); }
BOOST_AUTO_TEST_CASE(q5_1_int8_decode, *where_int8_decode<q::q5_1>()) { check_int8_decode<q::q5_1>(); }
BOOST_AUTO_TEST_CASE(q4_k_int8_decode, *where_int8_decode<q::q4_k>()) { check_int8_decode<q::q4_k>(); }
BOOST_AUTO_TEST_CASE(q5_k_int8_decode, *where_int8_decode<q::q5_k>()) { check_int8_decode<q::q5_k>(); }
BOOST_AUTO_TEST_CASE(q6_k_int8_decode, *where_int8_decode<q::q6_k>()) { check_int8_decode<q::q6_k>(); }
BOOST_AUTO_TEST_CASE(iq4_nl_int8_decode, *where_int8_decode<q::iq4_nl>()) { check_int8_decode<q::iq4_nl>(); }
BOOST_AUTO_TEST_CASE(iq4_xs_int8_decode, *where_int8_decode<q::iq4_xs>()) { check_int8_decode<q::iq4_xs>(); }

// An odd number of 32-value blocks (the 2-block loops' tail).
template <class F>
void check_odd_blocks(std::size_t n) {
  using T = kernels::dot_traits<F>;
  const auto wf = random_activations(n, 5), x = random_activations(n, 6);
  std::vector<typename F::block> w(n / 32);
  F::quantize(wf.data(), w.data(), n);
  std::vector<kernels::q16_act> a(n / 32);
  T::prepare(x.data(), a.data(), n);
  BOOST_TEST_INFO(F::name << " n = " << n);
  BOOST_TEST(T::dot(w.data(), a.data(), n) == T::reference_dot(w.data(), a.data(), n),
             boost::test_tools::tolerance(1e-4f));
}

BOOST_AUTO_TEST_CASE(odd_block_counts) {
  for (std::size_t n : {32, 96, 4128}) {
    check_odd_blocks<q::q8_0>(n);
    check_odd_blocks<q::q4_0>(n);
    check_odd_blocks<q::q5_0>(n);
    check_odd_blocks<q::q4_1>(n);
    check_odd_blocks<q::q5_1>(n);
    check_odd_blocks<q::iq4_nl>(n);
  }
}

// dot_tile<4, T> (matmul's decode and prefill tiles, where a format's traits
// provide them): every output equals the per-row scalar reference, exactly
// when every partial sum is an exact integer in float, else within float
// summation order (1e-5 of sum |w x|). Weight and activation rows are laid
// out with gaps (w_stride, a_stride larger than a row) and the block counts
// are odd.
template <class F, std::size_t T>
void check_tile() {
  using Tr = kernels::dot_traits<F>;
  using A = typename Tr::activation;
  // (q8_0 has no 4 x 1 tile: for one token its dot runs at memory speed)
  if constexpr (kernels::has_dot_tile<F, 4, T>) {
    const std::vector<std::size_t> ns =
        F::block_elems == 32 ? std::vector<std::size_t>{32, 96, 544, 4128} : std::vector<std::size_t>{256, 768, 4352};
    for (std::size_t n : ns) {
      const std::size_t ws = n / F::block_elems + 3, as = n / Tr::activation_block_elems + 2;
      // exact: unit scales, codes in [-2, 2], n <= 768 (see check_integer_exactness)
      if (n <= 768) {
        const auto w = integer_weights<F>(4 * ws, 500 + static_cast<unsigned>(n));
        const auto a = integer_activations<A>(T * as, 600 + static_cast<unsigned>(n), 2);
        float out[4 * T];
        Tr::template dot_tile<4, T>(w.data(), ws, a.data(), as, n, out);
        for (std::size_t t = 0; t < T; ++t)
          for (std::size_t r = 0; r < 4; ++r) {
            BOOST_TEST_INFO(F::name << " exact n = " << n << " T = " << T << " t " << t << " r " << r);
            BOOST_TEST(out[t * 4 + r] == Tr::reference_dot(&w[r * ws], &a[t * as], n));
          }
      }
      // random data, float scales
      std::vector<typename F::block> w(4 * ws);
      std::vector<A> a(T * as);
      std::vector<float> wd(4 * n), xs(T * n);
      for (std::size_t r = 0; r < 4; ++r) {
        const auto wf = random_activations(n, 700 + static_cast<unsigned>(r + n));
        F::quantize(wf.data(), &w[r * ws], n);
        F::dequantize(&w[r * ws], &wd[r * n], n);
      }
      for (std::size_t t = 0; t < T; ++t) {
        const auto x = random_activations(n, 800 + static_cast<unsigned>(t + n), 2.0f);
        Tr::prepare(x.data(), &a[t * as], n);
        std::copy(x.begin(), x.end(), xs.begin() + static_cast<std::ptrdiff_t>(t * n));
      }
      float out[4 * T];
      Tr::template dot_tile<4, T>(w.data(), ws, a.data(), as, n, out);
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t r = 0; r < 4; ++r) {
          double l1 = 0;
          for (std::size_t i = 0; i < n; ++i) l1 += std::fabs(wd[r * n + i] * xs[t * n + i]);
          const float ref = Tr::reference_dot(&w[r * ws], &a[t * as], n);
          BOOST_TEST_INFO(F::name << " n = " << n << " T = " << T << " t " << t << " r " << r << ": tile "
                                  << out[t * 4 + r] << " ref " << ref << " l1 " << l1);
          BOOST_TEST(std::fabs(out[t * 4 + r] - ref) <= 1e-5 * l1);
        }
    }
  }
}

template <class F>
void check_tiles() {
  check_tile<F, 1>();
  check_tile<F, 4>();
}

// The 4-row tiles of a format, where this target compiles them (AVX-512
// VNNI): against the reference and at the extreme codes.
template <class F>
void check_dot_tiles() {
  check_tiles<F>();
  check_tile_extremes<F>();
}

template <class F>
boost::unit_test::precondition where_dot_tile() {
  return skip_unless_compiled(kernels::has_dot_tile<F, 4, 4>, std::string(F::name) + "'s dot_tile");
}

BOOST_AUTO_TEST_CASE(q8_0_dot_tiles, *where_dot_tile<q::q8_0>()) { check_dot_tiles<q::q8_0>(); }
BOOST_AUTO_TEST_CASE(q4_0_dot_tiles, *where_dot_tile<q::q4_0>()) { check_dot_tiles<q::q4_0>(); }
BOOST_AUTO_TEST_CASE(q5_0_dot_tiles, *where_dot_tile<q::q5_0>()) { check_dot_tiles<q::q5_0>(); }
BOOST_AUTO_TEST_CASE(q4_k_dot_tiles, *where_dot_tile<q::q4_k>()) { check_dot_tiles<q::q4_k>(); }
BOOST_AUTO_TEST_CASE(q6_k_dot_tiles, *where_dot_tile<q::q6_k>()) { check_dot_tiles<q::q6_k>(); }
BOOST_AUTO_TEST_CASE(iq4_nl_dot_tiles, *where_dot_tile<q::iq4_nl>()) { check_dot_tiles<q::iq4_nl>(); }

// matmul goes through prepare + the integer kernels for token counts around
// the tile sizes, rows not a multiple of 4 or 16, and two threads: with
// int16 activations the tiles (4 x 4, 4 x 1 where the format has them,
// leftover rows and tokens one by one), with int8 the decode kernel per
// token where the format has one; every output equals its token's per-row
// reference within float summation order.
template <class P, class F>
void check_matmul_tokens(std::size_t cols) {
  using T = kernels::dot_traits<F>;
  const std::size_t rows = 37;
  const auto wf = random_activations(rows * cols, 40);
  std::vector<typename F::block> w(rows * cols / F::block_elems);
  F::quantize(wf.data(), w.data(), rows * cols);
  std::vector<float> wd(rows * cols);
  F::dequantize(w.data(), wd.data(), rows * cols);
  const matrix<F> m(w.data(), rows, cols, nullptr);
  thread_pool pool(2);
  for (std::size_t n : {1, 3, 4, 5, 9}) {
    const auto x = random_activations(n * cols, 41 + static_cast<unsigned>(n));
    std::vector<float> y(n * rows);
    matmul<P>(m, x.data(), n, y.data(), pool);
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t r = 0; r < rows; ++r) {
        double l1 = 0;
        for (std::size_t i = 0; i < cols; ++i) l1 += std::fabs(wd[r * cols + i] * x[t * cols + i]);
        const auto* row = &w[r * cols / F::block_elems];
        float ref = kernels::dot<F>(row, &x[t * cols], cols);
        // int8 below the panels' batch, a format with a decode kernel: that kernel's reference
        if constexpr (std::is_same_v<P, kernels::int8_activations> && kernels::has_gemv<F>) {
          if (n < kernels::int8_panel_min_tokens && cols % T::gemv_activation::values == 0) {
            std::vector<typename T::gemv_activation> g(cols / T::gemv_activation::values);
            T::gemv_prepare(&x[t * cols], g.data(), cols);
            ref = T::reference_gemv(row, g.data(), cols);
          }
        }
        BOOST_TEST_INFO(F::name << (std::is_same_v<P, kernels::int8_activations> ? " int8" : " int16")
                                << " cols = " << cols << " n = " << n << " token " << t << " row " << r);
        BOOST_TEST(std::fabs(y[t * rows + r] - ref) <= 1e-5 * l1);
      }
  }
}

BOOST_AUTO_TEST_CASE(matmul_tiles_match_per_row_dots) {
  kernels::for_each_precision([]<class P>() {
    // 544 columns: no whole 128-value groups (the int16 kernels decode); 640: whole groups;
    // 2816: rows that the batches' tile takes in chunks of unequal length
    for (std::size_t cols : {544, 640, 2816}) {
      check_matmul_tokens<P, q::q8_0>(cols);
      check_matmul_tokens<P, q::q4_0>(cols);
      check_matmul_tokens<P, q::q5_0>(cols);
      check_matmul_tokens<P, q::q4_1>(cols);
      check_matmul_tokens<P, q::q5_1>(cols);
      check_matmul_tokens<P, q::iq4_nl>(cols);
    }
    check_matmul_tokens<P, q::q4_k>(768);
    check_matmul_tokens<P, q::q5_k>(768);
    check_matmul_tokens<P, q::q6_k>(768);
    check_matmul_tokens<P, q::iq4_xs>(768);
  });
}
