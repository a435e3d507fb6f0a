// Every SIMD kernel against its scalar reference (kernels/reference.hpp), on
// lengths that exercise full vectors, unrolled loops and tails.
#define BOOST_TEST_MODULE kernels
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <cmath>
#include <random>
#include <string_view>
#include <type_traits>
#include <vector>

#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/gelu_mul.hpp"
#include "glm4/kernels/layer_norm.hpp"
#include "glm4/kernels/reference.hpp"
#include "glm4/kernels/rms_norm.hpp"
#include "glm4/kernels/silu_mul.hpp"
#include "glm4/kernels/softmax.hpp"
#include "glm4/quant/q4_1.hpp"
#include "glm4/quant/q5_k.hpp"
#include "glm4/runtime/matmul.hpp"

using namespace glm4;

namespace {
std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
const std::size_t lengths[] = {1, 3, 15, 16, 17, 31, 64, 100, 128, 255, 1000, 4096};
}  // namespace

BOOST_AUTO_TEST_CASE(dot_f32_matches_reference) {
  for (std::size_t n : lengths) {
    const auto w = random_vector(n, 1), x = random_vector(n, 2);
    const float ref = kernels::reference::dot<quant::f32>(w.data(), x.data(), n);
    BOOST_TEST_INFO("n = " << n);
    BOOST_TEST(kernels::dot<quant::f32>(w.data(), x.data(), n) == ref, boost::test_tools::tolerance(1e-4f));
  }
}

BOOST_AUTO_TEST_CASE(dot_bf16_matches_reference) {
  for (std::size_t n : lengths) {
    const auto wf = random_vector(n, 3), x = random_vector(n, 4);
    std::vector<quant::bf16::block> w(n);
    quant::bf16::quantize(wf.data(), w.data(), n);
    const float ref = kernels::reference::dot<quant::bf16>(w.data(), x.data(), n);
    BOOST_TEST_INFO("n = " << n);
    BOOST_TEST(kernels::dot<quant::bf16>(w.data(), x.data(), n) == ref, boost::test_tools::tolerance(1e-4f));
  }
}

BOOST_AUTO_TEST_CASE(dot_f16_matches_reference) {
  for (std::size_t n : lengths) {
    const auto wf = random_vector(n, 13), x = random_vector(n, 14);
    std::vector<quant::f16::block> w(n);
    quant::f16::quantize(wf.data(), w.data(), n);
    const float ref = kernels::reference::dot<quant::f16>(w.data(), x.data(), n);
    BOOST_TEST_INFO("n = " << n);
    BOOST_TEST(kernels::dot<quant::f16>(w.data(), x.data(), n) == ref, boost::test_tools::tolerance(1e-4f));
  }
}

BOOST_AUTO_TEST_CASE(rms_norm_matches_reference) {
  for (std::size_t n : lengths) {
    const auto x = random_vector(n, 5, 3.0f), w = random_vector(n, 6);
    std::vector<float> y(n), ref(n);
    kernels::rms_norm(x.data(), w.data(), 1e-5f, y.data(), n);
    kernels::reference::rms_norm(x.data(), w.data(), 1e-5f, ref.data(), n);
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(y[i] == ref[i], boost::test_tools::tolerance(1e-5f));
  }
}

BOOST_AUTO_TEST_CASE(layer_norm_matches_reference) {
  for (std::size_t n : lengths) {
    // a mean far from zero: the variance must not come from E[x^2] - mean^2
    // (which would be off by whole units here); f32's rounding of x itself
    // leaves ~1e-5
    auto x = random_vector(n, 15, 2.0f);
    for (auto& v : x) v += 40.0f;
    const auto w = random_vector(n, 16), b = random_vector(n, 17);
    std::vector<float> y(n), ref(n);
    kernels::layer_norm(x.data(), w.data(), b.data(), 1e-5f, y.data(), n);
    kernels::reference::layer_norm(x.data(), w.data(), b.data(), 1e-5f, ref.data(), n);
    BOOST_TEST_INFO("n = " << n);
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(std::abs(y[i] - ref[i]) <= 1e-4f * (1.0f + std::abs(ref[i])));
  }
}

BOOST_AUTO_TEST_CASE(gelu_mul_matches_reference) {
  for (std::size_t n : lengths) {
    const auto x1 = random_vector(n, 18), x2 = random_vector(n, 19, 4.0f);
    std::vector<float> y(n), ref(n);
    kernels::gelu_mul(x1.data(), x2.data(), y.data(), n);
    kernels::reference::gelu_mul(x1.data(), x2.data(), ref.data(), n);
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(y[i] == ref[i], boost::test_tools::tolerance(1e-5f));
  }
}

BOOST_AUTO_TEST_CASE(silu_mul_matches_reference) {
  for (std::size_t n : lengths) {
    const auto g = random_vector(n, 7, 4.0f), u = random_vector(n, 8);
    std::vector<float> y(n), ref(n);
    kernels::silu_mul(g.data(), u.data(), y.data(), n);
    kernels::reference::silu_mul(g.data(), u.data(), ref.data(), n);
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(y[i] == ref[i], boost::test_tools::tolerance(1e-5f));
  }
}

BOOST_AUTO_TEST_CASE(softmax_matches_reference_and_sums_to_one) {
  for (std::size_t n : lengths) {
    auto x = random_vector(n, 9, 10.0f);
    auto ref = x;
    kernels::softmax(x.data(), n);
    kernels::reference::softmax(ref.data(), n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      BOOST_TEST(x[i] == ref[i], boost::test_tools::tolerance(1e-5f));
      sum += x[i];
    }
    BOOST_TEST(sum == 1.0, boost::test_tools::tolerance(1e-5));
  }
}

BOOST_AUTO_TEST_CASE(threaded_matmul_equals_row_dots) {
  const std::size_t rows = 37, cols = 100, n = 5;
  const auto wf = random_vector(rows * cols, 10), x = random_vector(n * cols, 11), bias = random_vector(rows, 12);
  const matrix<quant::f32> w(wf.data(), rows, cols, nullptr);
  for (std::size_t threads : {1, 2, 3}) {
    thread_pool pool(threads);
    std::vector<float> y(n * rows);
    matmul(w, x.data(), n, y.data(), pool, bias.data());
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t r = 0; r < rows; ++r) {
        const float ref = kernels::reference::dot<quant::f32>(&wf[r * cols], &x[t * cols], cols) + bias[r];
        // Bounded by the sum of the terms' magnitudes, not relatively: a dot
        // that cancels to near zero differs by rounding in another order.
        double magnitude = std::abs(bias[r]);
        for (std::size_t i = 0; i < cols; ++i) magnitude += std::abs(wf[r * cols + i] * x[t * cols + i]);
        BOOST_TEST(std::abs(y[t * rows + r] - ref) <= 1e-6 * magnitude, y[t * rows + r] << " vs " << ref);
      }
  }
}

// A format without a SIMD kernel (every format GGUF files of GLM-4 hold has
// one, so the test makes one: q4_1's blocks under a type of their own, as a
// new format starts, docs/adding-a-format.md) takes dot.hpp's fallback: f32
// activations and the scalar reference dot, at either activation
// precision, alone or as one of a role's per-tensor formats. Every output
// is the float64 dot of the decoded row, plus its bias.
struct q4_1_without_a_kernel : quant::q4_1 {
  static constexpr std::string_view name = "q4_1 without a kernel";
};

template <quant::block_format F>
void check_fallback_matmul() {
  using T = kernels::dot_traits<F>;
  static_assert(std::is_same_v<typename T::activation, float>, "expected the f32 fallback activations");
  static_assert(!kernels::has_gemv<F> && !kernels::has_dot_tile<F, 4, 4> && !kernels::has_dot_tile<F, 4, 1> &&
                !kernels::has_int8_panel<F>);
  const std::size_t rows = 21;
  for (std::size_t cols : {544, 13696}) {
    const auto wf = random_vector(rows * cols, 20, 0.02f);
    std::vector<typename F::block> blocks(rows * cols / F::block_elems);
    F::quantize(wf.data(), blocks.data(), wf.size());
    std::vector<float> wd(wf.size());
    F::dequantize(blocks.data(), wd.data(), wd.size());
    const matrix<F> w(blocks.data(), rows, cols, nullptr);
    const mixed_matrix<quant::q5_k, F> mixed(w);
    const auto bias = random_vector(rows, 21);
    for (std::size_t n : {1, 5})
      for (std::size_t threads : {1, 3})
        kernels::for_each_precision([&]<kernels::activation_precision P>() {
          const auto x = random_vector(n * cols, 22 + static_cast<unsigned>(n));
          thread_pool pool(threads);
          std::vector<float> y(n * rows), ym(n * rows);
          matmul<P>(w, x.data(), n, y.data(), pool, bias.data());
          matmul<P>(mixed, x.data(), n, ym.data(), pool, bias.data());
          for (std::size_t t = 0; t < n; ++t)
            for (std::size_t r = 0; r < rows; ++r) {
              double ref = bias[r], l1 = std::fabs(bias[r]);
              for (std::size_t i = 0; i < cols; ++i) {
                ref += double(wd[r * cols + i]) * x[t * cols + i];
                l1 += std::fabs(double(wd[r * cols + i]) * x[t * cols + i]);
              }
              BOOST_TEST_INFO(F::name << " cols " << cols << " n " << n << " threads " << threads << " token " << t
                                      << " row " << r);
              BOOST_TEST(std::fabs(y[t * rows + r] - ref) <= 1e-6 * l1);
              BOOST_TEST(ym[t * rows + r] == y[t * rows + r]);
            }
        });
  }
}

BOOST_AUTO_TEST_CASE(formats_without_a_kernel_matmul_through_the_reference) {
  check_fallback_matmul<q4_1_without_a_kernel>();
}
