// q4_0, q4_k and q8_0 repacked into 16-row panels at load
// (quant/repacked_matrix.hpp, kernels/<format>/repacked_*.hpp):
//   - repacking keeps every row's bytes; padded rows give 0;
//   - the scalar tile is the product of the decoded weights and the decoded
//     int8 activations (double precision, to float rounding);
//   - the SIMD tile (q4_0: AVX-512 VNNI, AVX2; q4_k, q8_0: AVX2; a skipped case
//     elsewhere) equals the scalar tile bit for bit, also at the largest
//     codes, scales and activations and over decode's panels side by side,
//     and so does q4_0's unpacking into prefill's int8 panel (AVX-512 VNNI),
//     which equals the file layout's own unpacking;
//   - matmul on the repacked matrix: each of fewer than 16 tokens (AVX2:
//     of any number) gets the sums it gets alone, bit for bit, with 1 and 2
//     threads; prefill on AVX-512 VNNI and the int16 activations equal the
//     file layout's matmul bit for bit.
#define BOOST_TEST_MODULE repacked
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <boost/mpl/list.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "glm4/kernels/q4_0/repacked_reference.hpp"
#include "glm4/kernels/q4_k/repacked_reference.hpp"
#include "glm4/kernels/q8_0/repacked_reference.hpp"
#include "glm4/quant/repacked_matrix.hpp"
#include "glm4/runtime/matmul.hpp"
#include "kernels/random_activations.hpp"
#include "kernels/skip_unless_compiled.hpp"

using namespace glm4;
namespace k = glm4::kernels;
namespace q = glm4::quant;
namespace q40 = glm4::kernels::q4_0_kernels;
namespace q4k = glm4::kernels::q4_k_kernels;
namespace q80 = glm4::kernels::q8_0_kernels;

namespace {

using testing::random_activations;
using testing::skip_unless_compiled;

// A format's scalar repacked kernels, which every target has.
template <class F>
struct scalar_kernels;
template <>
struct scalar_kernels<q::q4_0> {
  using act = q40::repacked_act;
  static constexpr std::size_t act_values = 32;
  static void prepare(const float* x, act* a, std::size_t cols) { q40::prepare_repacked(x, a, cols); }
  static void tile(const q40::panel_block_q4_0* p, std::size_t nb, const act* a, std::size_t stride, std::size_t T,
                   float* out) {
    q40::repacked_tile_reference(p, nb, a, stride, T, out);
  }
};
template <>
struct scalar_kernels<q::q4_k> {
  using act = q4k::repacked_act;
  static constexpr std::size_t act_values = 256;
  static void prepare(const float* x, act* a, std::size_t cols) { q4k::prepare_repacked(x, a, cols); }
  static void tile(const q4k::panel_block_q4_k* p, std::size_t nb, const act* a, std::size_t stride, std::size_t T,
                   float* out) {
    q4k::repacked_tile_reference(p, nb, a, stride, T, out);
  }
};
template <>
struct scalar_kernels<q::q8_0> {
  using act = k::q8_act;
  static constexpr std::size_t act_values = 32;
  static void prepare(const float* x, act* a, std::size_t cols) { q80::prepare_repacked(x, a, cols); }
  static void tile(const q80::panel_block_q8_0* p, std::size_t nb, const act* a, std::size_t stride, std::size_t T,
                   float* out) {
    q80::repacked_tile_reference(p, nb, a, stride, T, out);
  }
};
using formats = boost::mpl::list<q::q4_0, q::q4_k, q::q8_0>;

template <class F>
struct quantized_weights {
  std::vector<typename F::block> blocks;
  matrix<F> m;
  quantized_weights(std::size_t rows, std::size_t cols, unsigned seed) : blocks(rows * cols / F::block_elems) {
    const auto w = random_activations(rows * cols, seed, 0.05f);
    F::quantize(w.data(), blocks.data(), rows * cols);
    m = matrix<F>(blocks.data(), rows, cols, nullptr);
  }
};

template <class F>
std::vector<typename scalar_kernels<F>::act> prepared(const std::vector<float>& x, std::size_t cols) {
  using S = scalar_kernels<F>;
  std::vector<typename S::act> a(x.size() / S::act_values);
  for (std::size_t i = 0; i < x.size() / cols; ++i)
    S::prepare(x.data() + i * cols, a.data() + i * cols / S::act_values, cols);
  return a;
}

bool same_bits(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(repacking_keeps_every_rows_bytes, F, formats) {
  const std::size_t rows = 37, cols = 512, nb = cols / F::block_elems;  // three panels, the last with 5 rows
  const quantized_weights<F> w(rows, cols, 1);
  const repacked_matrix<F> r(w.m);
  BOOST_TEST(r.panels() == 3u);
  BOOST_TEST(r.bytes() == 3 * 16 * nb * sizeof(typename F::block));
  std::vector<typename F::block> row(nb);
  for (std::size_t i = 0; i < rows; ++i) {
    r.row(i, row.data());
    BOOST_TEST(std::memcmp(row.data(), w.m.row(i), nb * sizeof(typename F::block)) == 0, "row " << i);
  }
  const auto a = prepared<F>(random_activations(cols, 2), cols);
  std::vector<float> out(16);
  scalar_kernels<F>::tile(r.panel(2), nb, a.data(), nb, 1, out.data());
  for (std::size_t i = 5; i < 16; ++i) BOOST_TEST(out[i] == 0.0f, "padded row " << i);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_scalar_tile_is_the_product, F, formats) {
  using S = scalar_kernels<F>;
  const std::size_t cols = 512, nb = cols / F::block_elems, tokens = 3;
  const quantized_weights<F> w(16, cols, 2);
  const repacked_matrix<F> r(w.m);
  const auto x = random_activations(tokens * cols, 3);
  const auto a = prepared<F>(x, cols);
  std::vector<float> out(tokens * 16), decoded(cols);
  S::tile(r.panel(0), nb, a.data(), cols / S::act_values, tokens, out.data());
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t i = 0; i < 16; ++i) {
      F::dequantize(w.m.row(i), decoded.data(), cols);
      double sum = 0.0, magnitude = 0.0;
      for (std::size_t j = 0; j < cols; ++j) {
        const auto& act = a[(t * cols + j) / S::act_values];
        const double v = static_cast<double>(decoded[j]) * act.d * act.qs[j % S::act_values];
        sum += v;
        magnitude += std::fabs(v);
      }
      BOOST_TEST(std::fabs(out[t * 16 + i] - sum) <= 1e-5 * magnitude, "token " << t << " row " << i);
    }
}

namespace {
// The SIMD tile against its twin for every token count it takes, over
// panel 0 of m, and decode's panels side by side (two on AVX2) over `wide`.
template <class F>
void check_simd_tile(const repacked_matrix<F>& m, const repacked_matrix<F>& wide,
                     const std::vector<typename scalar_kernels<F>::act>& acts) {
  using K = k::repacked_kernels<F>;
  const std::size_t nb = m.blocks_per_row(), stride = m.cols() / K::act_values;
  const auto check = [&]<std::size_t T>() {
    if constexpr (T <= K::max_tokens) {  // AVX2's tiles stop at 4
      std::vector<float> simd(T * 16), twin(T * 16);
      K::template tile<T>(m.panel(0), nb, acts.data(), stride, simd.data(), 0);
      scalar_kernels<F>::tile(m.panel(0), nb, acts.data(), stride, T, twin.data());
      BOOST_TEST(same_bits(simd.data(), twin.data(), T * 16), "T=" << T);
    }
  };
  check.template operator()<1>();
  check.template operator()<2>();
  check.template operator()<3>();
  check.template operator()<4>();
  check.template operator()<8>();
  if constexpr (K::decode_panels > 1) {
    std::vector<float> simd(K::decode_panels * 16), twin(16);
    K::template tile<1, K::decode_panels>(wide.panel(0), nb, acts.data(), stride, simd.data(), 0, nb);
    for (std::size_t q = 0; q < K::decode_panels; ++q) {
      scalar_kernels<F>::tile(wide.panel(q), nb, acts.data(), stride, 1, twin.data());
      BOOST_TEST(same_bits(simd.data() + 16 * q, twin.data(), 16), "panel " << q);
    }
  }
}

// Decode's panels of rows that are all `full` (the largest codes at scale 1).
template <class F>
repacked_matrix<F> largest_codes(std::vector<typename F::block>& rows, std::size_t cols, typename F::block full) {
  const std::size_t count = 16 * k::repacked_kernels<F>::decode_panels;
  rows.assign(count * cols / F::block_elems, full);
  return repacked_matrix<F>(matrix<F>(rows.data(), count, cols, nullptr));
}

template <class F>
void check_simd_tiles(typename F::block full, const auto& extreme_act) {
  if constexpr (k::has_repacked_kernels<F>) {
    const std::size_t cols = 4 * 256;
    const quantized_weights<F> w(16, cols, 4), wide(16 * k::repacked_kernels<F>::decode_panels, cols, 6);
    const repacked_matrix<F> r(w.m), side_by_side(wide.m);
    std::vector<typename F::block> rows;
    const repacked_matrix<F> bound = largest_codes<F>(rows, cols, full);
    const auto a = prepared<F>(random_activations(8 * cols, 5), cols);
    // activations of +-127: with the largest codes, the integer sums' bounds
    std::vector<typename scalar_kernels<F>::act> extreme(a);
    for (std::size_t i = 0; i < extreme.size(); ++i) extreme_act(extreme[i], i % 2 ? 127 : -127);
    const std::vector<typename scalar_kernels<F>::act>* sets[] = {&a, &extreme};
    for (const auto* acts : sets) {
      check_simd_tile(r, side_by_side, *acts);
      check_simd_tile(bound, bound, *acts);
    }
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(q4_0s_simd_tile_equals_its_scalar_twin,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q4_0>, "q4_0's repacked tile")) {
  q::q4_0::block full;
  full.d = q::f16::from_float(1.0f);
  std::memset(full.qs, 0xff, sizeof full.qs);  // every code 15
  check_simd_tiles<q::q4_0>(full, [](q40::repacked_act& x, int v) {
    x.d = 1.0f;
    std::memset(x.qs, v, 32);
    x.offset_sum = -8 * 32 * v;
  });
}

BOOST_AUTO_TEST_CASE(q4_ks_simd_tile_equals_its_scalar_twin,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q4_k>, "q4_k's repacked tile")) {
  q::q4_k::block full;
  full.d = full.dmin = q::f16::from_float(1.0f);
  std::memset(full.scales, 0xff, sizeof full.scales);  // every scale and min 63
  std::memset(full.qs, 0xff, sizeof full.qs);          // every code 15
  check_simd_tiles<q::q4_k>(full, [](q4k::repacked_act& x, int v) {
    x.d = 1.0f;
    std::memset(x.qs, v, 256);
    for (auto& sum : x.sums) sum = static_cast<std::int16_t>(32 * v);
  });
}

BOOST_AUTO_TEST_CASE(q8_0s_simd_tile_equals_its_scalar_twin,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q8_0>, "q8_0's repacked tile")) {
  // every code 127, then -128 (a hostile file's: its magnitude is
  // vpmaddubsw's unsigned 128)
  for (const int code : {127, -128}) {
    q::q8_0::block full;
    full.d = q::f16::from_float(1.0f);
    std::memset(full.qs, code, sizeof full.qs);
    check_simd_tiles<q::q8_0>(full, [](k::q8_act& x, int v) {
      x.d = 1.0f;
      std::memset(x.qs, v, 32);
      x.dsum = 32.0f * static_cast<float>(v);
    });
  }
}

#if defined(GLM4_QDOT_AVX512VNNI)
constexpr bool prefill_unpacks = true;
#else
constexpr bool prefill_unpacks = false;  // AVX2's prefill runs the tile (repacked_avx2.hpp)
#endif

BOOST_AUTO_TEST_CASE(prefills_panel_equals_the_file_layouts,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q4_0> && prefill_unpacks,
                                          "q4_0's repacked unpacking")) {
#if defined(GLM4_QDOT_AVX512VNNI)
  const std::size_t cols = 768, nb = cols / 32;
  const quantized_weights<q::q4_0> w(32, cols, 6);
  const repacked_matrix<q::q4_0> r(w.m);
  for (std::size_t p = 0; p < 2; ++p) {
    std::vector<k::panel_block> simd(nb), twin(nb), file(nb);
    q40::unpack_repacked(r.panel(p), nb, simd.data());
    q40::unpack_repacked_reference(r.panel(p), nb, twin.data());
    k::qdetail::unpack_panel(w.m, 16 * p, 16, file.data());
    BOOST_TEST(std::memcmp(simd.data(), twin.data(), nb * sizeof(k::panel_block)) == 0, "panel " << p);
    BOOST_TEST(std::memcmp(simd.data(), file.data(), nb * sizeof(k::panel_block)) == 0, "panel " << p);
  }
#endif
}

namespace {
// 5 panels, the last of 8 rows (AVX2 decode pairs panels and leaves one);
// 13 blocks a row.
template <class F>
void check_matmul() {
  if constexpr (k::has_repacked_kernels<F>) {
    const std::size_t rows = 72, cols = 13 * F::block_elems;
    const quantized_weights<F> w(rows, cols, 7);
    const repacked_matrix<F> r(w.m);
    const auto bias = random_activations(rows, 8);
    const auto x = random_activations(20 * cols, 9);
    for (const std::size_t threads : {1u, 2u}) {
      thread_pool pool(threads);
      std::vector<float> alone(20 * rows);
      for (std::size_t t = 0; t < 20; ++t)
        matmul(r, x.data() + t * cols, 1, alone.data() + t * rows, pool, bias.data());
      for (const std::size_t n : {2u, 3u, 4u, 7u, 8u, 9u, 15u}) {
        std::vector<float> y(n * rows);
        matmul(r, x.data(), n, y.data(), pool, bias.data());
        BOOST_TEST(same_bits(y.data(), alone.data(), n * rows), n << " tokens, " << threads << " threads");
      }
      for (const std::size_t n : {16u, 20u}) {  // prefill
        std::vector<float> y(n * rows), file(n * rows);
        matmul(r, x.data(), n, y.data(), pool, bias.data());
        if (prefill_unpacks) {
          matmul(w.m, x.data(), n, file.data(), pool, bias.data());
          BOOST_TEST(same_bits(y.data(), file.data(), n * rows), n << " tokens, " << threads << " threads (panels)");
        } else {
          BOOST_TEST(same_bits(y.data(), alone.data(), n * rows), n << " tokens, " << threads << " threads (tile)");
        }
      }
      std::vector<float> y(5 * rows), file(5 * rows);
      matmul<k::int16_activations>(r, x.data(), 5, y.data(), pool, bias.data());
      matmul<k::int16_activations>(w.m, x.data(), 5, file.data(), pool, bias.data());
      BOOST_TEST(same_bits(y.data(), file.data(), 5 * rows), "int16, " << threads << " threads");
      // Decode's sums against the decoded weights: the tile's error is the
      // activations' int8 rounding.
      std::vector<float> decoded(cols);
      for (std::size_t i = 0; i < rows; ++i) {
        F::dequantize(w.m.row(i), decoded.data(), cols);
        double sum = bias[i], magnitude = 0.0;
        for (std::size_t j = 0; j < cols; ++j) {
          sum += static_cast<double>(decoded[j]) * x[j];
          magnitude += std::fabs(static_cast<double>(decoded[j]) * x[j]);
        }
        BOOST_TEST(std::fabs(alone[i] - sum) <= 0.01 * magnitude, "row " << i);
      }
    }
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(q4_0s_matmul_gives_each_token_its_own_sums,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q4_0>, "q4_0's repacked matmul")) {
  check_matmul<q::q4_0>();
}

BOOST_AUTO_TEST_CASE(q4_ks_matmul_gives_each_token_its_own_sums,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q4_k>, "q4_k's repacked matmul")) {
  check_matmul<q::q4_k>();
}

BOOST_AUTO_TEST_CASE(q8_0s_matmul_gives_each_token_its_own_sums,
                     *skip_unless_compiled(k::has_repacked_kernels<q::q8_0>, "q8_0's repacked matmul")) {
  check_matmul<q::q8_0>();
}
