// The int8 panel path of prefill (kernels/int8_panel.hpp):
//   - each format's unpacker gives scale * u + offset == the format's own
//     decoder, value for value (exact in float);
//   - quantize_q8 (SIMD) equals its scalar reference bit for bit;
//   - the SIMD tile (AVX-512 VNNI, AVX2; a skipped case elsewhere) equals
//     the scalar tile reference up to float summation order, also at the
//     largest codes and activations (AVX2's int16 sums);
//   - matmul's panel path (rows not a multiple of 16, bias, token counts off
//     the tile sizes) equals a double-precision product of the decoded
//     weights with the decoded int8 activations.
#define BOOST_TEST_MODULE int8_panel
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string_view>
#include <tuple>
#include <vector>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/runtime/matmul.hpp"
#include "kernels/random_activations.hpp"
#include "kernels/skip_unless_compiled.hpp"

using namespace glm4;
namespace k = glm4::kernels;
namespace q = glm4::quant;

namespace {

using testing::random_activations;
using testing::skip_unless_compiled;

template <class F>
struct quantized {
  std::vector<typename F::block> blocks;
  matrix<F> m;
  quantized(std::size_t rows, std::size_t cols, unsigned seed) : blocks(rows * cols / F::block_elems) {
    const auto w = random_activations(rows * cols, seed, 0.05f);
    F::quantize(w.data(), blocks.data(), rows * cols);
    m = matrix<F>(blocks.data(), rows, cols, nullptr);
  }
};

using panel_formats = std::tuple<q::q4_0, q::q5_0, q::q4_1, q::q5_1, q::q8_0, q::q4_k, q::q5_k, q::q6_k, q::iq4_nl, q::iq4_xs>;

// The SIMD tile for codes of at most MaxCode, which only x86 builds compile
// (the preprocessor: the name exists nowhere else).
template <std::size_t T, unsigned MaxCode, std::size_t Groups>
void simd_panel_tile(const k::panel_block_of<Groups>* p, std::size_t nb, const k::panel_act<Groups>* a,
                     std::size_t a_stride, float* out) {
#if defined(GLM4_INT8_PANEL)
  k::qdetail::panel_tile<T, MaxCode>(p, nb, a, a_stride, out);
#endif
}

#if defined(GLM4_INT8_PANEL)
constexpr std::size_t tile_tokens = k::qdetail::panel_tile_tokens;
#else
constexpr std::size_t tile_tokens = 1;
#endif

// The SIMD tile at the sizes one_panel runs (1, 4, the target's own) against
// the scalar tile.
template <unsigned MaxCode, std::size_t Groups>
void check_tile_sizes(const std::vector<k::panel_block_of<Groups>>& panel, const std::vector<k::panel_act<Groups>>& a,
                      std::size_t nb, float rel, std::string_view what) {
  const std::size_t tokens = a.size() / nb;
  std::vector<float> ref(tokens * 16);
  k::qdetail::panel_tile_reference(panel.data(), nb, a.data(), nb, tokens, ref.data());
  const auto check = [&]<std::size_t T>() {
    std::vector<float> out(T * 16);
    simd_panel_tile<T, MaxCode>(panel.data(), nb, a.data(), nb, out.data());
    for (std::size_t i = 0; i < T * 16; ++i)
      BOOST_TEST(std::fabs(out[i] - ref[i]) <= rel * (std::fabs(ref[i]) + 1.0f), what << " T=" << T << " i=" << i);
  };
  check.template operator()<1>();
  check.template operator()<4>();
  check.template operator()<tile_tokens>();
}

template <class F>
void check_simd_tile() {
  const std::size_t cols = 1024, nb = cols / 32, tokens = std::max<std::size_t>(4, tile_tokens);
  quantized<F> w(16, cols, 21);
  std::vector<k::panel_block_for<F>> panel(nb);
  k::qdetail::unpack_panel(w.m, 0, 16, panel.data());
  const auto x = random_activations(tokens * cols, 22);
  std::vector<k::panel_act_for<F>> a(tokens * nb);
  for (std::size_t i = 0; i < a.size(); ++i) k::qdetail::quantize_q8(x.data() + 32 * i, a[i]);
  check_tile_sizes<k::panel_unpack<F>::max_code>(panel, a, nb, 1e-5f, F::name);
}

// Every code at MaxCode, then at 0 (-128 as AVX2's signed codes), and every
// activation at +-127 (one sign per token, then alternating): the integer
// sums at their bounds, exact in float (scale g + 1 for group g, offset 0).
// Panels of two groups where the target's tile takes them (q6_k's: AVX-512
// VNNI).
template <std::size_t Groups, unsigned MaxCode>
void check_simd_tile_at_the_bounds() {
  if constexpr (Groups <= k::panel_max_groups) {
    const std::size_t nb = 8, tokens = std::max<std::size_t>(4, tile_tokens);
    std::vector<k::panel_act<Groups>> a(tokens * nb);
    for (std::size_t t = 0; t < tokens; ++t)
      for (std::size_t b = 0; b < nb; ++b) {
        auto& x = a[t * nb + b];
        x.d = 1.0f;
        float sums[Groups] = {};
        for (std::size_t j = 0; j < 32; ++j) {
          x.qs[j] = static_cast<std::int8_t>(t % 3 == 0 ? 127 : t % 3 == 1 ? -127 : j % 2 ? 127 : -127);
          sums[j / (32 / Groups)] += x.qs[j];
        }
        std::memcpy(&x.dsum, sums, sizeof x.dsum);
      }
    for (const unsigned code : {MaxCode, 0u}) {
      std::vector<k::panel_block_of<Groups>> panel(nb);
      for (auto& block : panel) {
        std::memset(block.u, static_cast<int>(code), sizeof block.u);
        for (std::size_t g = 0; g < Groups; ++g) {
          std::fill_n(block.scale[g], 16, static_cast<float>(g + 1));
          std::fill_n(block.offset[g], 16, 0.0f);
        }
      }
      check_tile_sizes<MaxCode>(panel, a, nb, 0.0f, code ? "bounds at MaxCode" : "bounds at 0");
    }
  }
}

template <class F>
void check_panel_rows(std::size_t live) {
  const std::size_t cols = F::block_elems == 32 ? 800 : 768, nb = cols / 32;
  quantized<F> w(20, cols, 41);
  constexpr std::size_t groups = k::panel_unpack<F>::groups;
  std::vector<k::panel_block_for<F>> panel(nb);
  k::qdetail::unpack_panel(w.m, 4, live, panel.data());
  std::vector<std::uint8_t> u(cols);
  std::vector<float> scale(nb * groups), offset(nb * groups);
  std::size_t wrong = 0;
  for (std::size_t r = 0; r < k::panel_rows; ++r) {
    if (r < live) k::panel_unpack<F>::unpack(w.m.row(4 + r), nb, u.data(), scale.data(), offset.data());
    for (std::size_t b = 0; b < nb; ++b) {
      for (std::size_t g = 0; g < groups; ++g) {
        wrong += panel[b].scale[g][r] != (r < live ? scale[groups * b + g] : 0.0f);
        wrong += panel[b].offset[g][r] != (r < live ? offset[groups * b + g] : 0.0f);
      }
      for (std::size_t j = 0; j < 32; ++j) wrong += panel[b].u[j / 4][r][j % 4] != (r < live ? u[32 * b + j] : 0);
    }
  }
  BOOST_TEST(wrong == 0u, F::name << " live rows " << live);
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(unpacked_values_decode_like_the_format, F, panel_formats) {
  const std::size_t cols = 512;
  quantized<F> w(3, cols, 11);
  constexpr std::size_t group = 32 / k::panel_unpack<F>::groups;  // values per scale
  std::vector<float> ref(cols), scale(cols / group), offset(cols / group);
  std::vector<std::uint8_t> u(cols);
  for (std::size_t r = 0; r < 3; ++r) {
    F::dequantize(w.m.row(r), ref.data(), cols);
    k::panel_unpack<F>::unpack(w.m.row(r), cols / 32, u.data(), scale.data(), offset.data());
    std::size_t wrong = 0;
    for (std::size_t j = 0; j < cols; ++j) wrong += scale[j / group] * u[j] + offset[j / group] != ref[j];
    wrong += *std::max_element(u.begin(), u.end()) > k::panel_unpack<F>::max_code;
    BOOST_TEST(wrong == 0u, F::name << " row " << r);
  }
}

// unpack_panel against each row's own unpacking: 13 live rows (the rest
// zero) and 16 (where a target has a whole-panel unpacker, it runs), and
// columns that end in a part of unpack_panel's 8-block chunk where the
// format's blocks allow it (not the k-quants' 256).
BOOST_AUTO_TEST_CASE_TEMPLATE(panel_holds_each_rows_unpacked_values, F, panel_formats) {
  for (const std::size_t live : {std::size_t{13}, k::panel_rows}) check_panel_rows<F>(live);
}

BOOST_AUTO_TEST_CASE(int8_activations_match_the_scalar_reference) {
  auto x = random_activations(32 * 64, 5);
  for (int j = 0; j < 32; ++j) x[j] = 0.0f;                      // an all-zero block
  for (int j = 32; j < 64; ++j) x[j] = (j % 2 ? 1 : -1) * 3.0f;  // all at +-amax
  for (std::size_t b = 0; b < 64; ++b) {
    k::q8_act simd{}, ref{};
    k::qdetail::quantize_q8(x.data() + 32 * b, simd);
    k::qdetail::quantize_q8_reference(x.data() + 32 * b, ref);
    BOOST_TEST(simd.d == ref.d);
    BOOST_TEST(simd.dsum == ref.dsum);
    BOOST_TEST(std::memcmp(simd.qs, ref.qs, 32) == 0, "block " << b);
    for (int j = 0; j < 32; ++j)  // within half a step of the value
      BOOST_TEST(std::fabs(ref.d * ref.qs[j] - x[32 * b + j]) <= 0.5001f * ref.d);
    // with the sums of the halves (q6_k's panels): the same values
    k::q8_halves_act halves{};
    k::qdetail::quantize_q8(x.data() + 32 * b, halves);
    BOOST_TEST(halves.d == ref.d);
    BOOST_TEST(std::memcmp(halves.qs, ref.qs, 32) == 0, "block " << b);
    for (int h = 0; h < 2; ++h) {
      int sum = 0;
      for (int j = 16 * h; j < 16 * h + 16; ++j) sum += ref.qs[j];
      BOOST_TEST(halves.dsum[h] == ref.d * static_cast<float>(sum));
    }
  }
}

BOOST_AUTO_TEST_CASE(simd_tile_matches_the_scalar_tile,
                     *skip_unless_compiled(k::panel_max_code > 0, "an int8 panel tile (AVX-512 VNNI, AVX2)")) {
  // Each format the target sends through the panels (AVX2: not q6_k).
  const auto check = []<class F>(F) {
    if constexpr (k::has_int8_panel<F>) check_simd_tile<F>();
  };
  std::apply([&](auto... f) { (check(f), ...); }, panel_formats{});
  // the largest codes, 5 bits' and 4 bits' (AVX2's tile adds four groups of
  // the first in int16, all eight of the second)
  check_simd_tile_at_the_bounds<1, k::panel_max_code>();
  check_simd_tile_at_the_bounds<1, 31>();
  check_simd_tile_at_the_bounds<1, 15>();
  check_simd_tile_at_the_bounds<2, k::panel_max_code>();
}

// Through matmul (runtime/matmul.hpp), whichever path the target takes for n >= 16.
BOOST_AUTO_TEST_CASE_TEMPLATE(prefill_matmul_equals_the_decoded_product, F, panel_formats) {
  const std::size_t rows = 40, cols = 512, nb = cols / 32;  // 2.5 panels
  quantized<F> w(rows, cols, 31);
  const auto bias = random_activations(rows, 32);
  thread_pool pool(2);
  std::vector<float> wf(rows * cols);
  F::dequantize(w.m.data(), wf.data(), rows * cols);
  for (std::size_t n : {k::int8_panel_min_tokens, std::size_t{29}}) {
    const auto x = random_activations(n * cols, 33 + static_cast<unsigned>(n));
    std::vector<float> y(n * rows);
    matmul(w.m, x.data(), n, y.data(), pool, bias.data());
    for (std::size_t t = 0; t < n; ++t) {
      // The activations as the panel path sees them, and each value's
      // rounding bound on the int16 path that other targets take.
      std::vector<double> xq(cols), bound(cols);
      for (std::size_t b = 0; b < nb; ++b) {
        k::q8_act a;
        k::qdetail::quantize_q8_reference(&x[t * cols + 32 * b], a);
        for (int j = 0; j < 32; ++j) {
          const std::size_t c = 32 * b + j;
          xq[c] = k::has_int8_panel<F> ? static_cast<double>(a.d) * a.qs[j] : x[t * cols + c];
          bound[c] = k::has_int8_panel<F> ? 0.0 : a.d * 127.0 / 65534.0;
        }
      }
      for (std::size_t r = 0; r < rows; ++r) {
        double ref = bias[r], mag = std::fabs(bias[r]), tol = 0.0;
        for (std::size_t j = 0; j < cols; ++j) {
          ref += static_cast<double>(wf[r * cols + j]) * xq[j];
          mag += std::fabs(static_cast<double>(wf[r * cols + j]) * x[t * cols + j]);
          tol += std::fabs(wf[r * cols + j]) * bound[j];
        }
        tol += 1e-5 * mag;
        BOOST_TEST(std::fabs(y[t * rows + r] - ref) <= tol, F::name << " n=" << n << " t=" << t << " r=" << r);
      }
    }
  }
}
