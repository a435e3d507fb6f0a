// q4_0 repacked into 16-row panels at load (quant/repacked_matrix.hpp,
// kernels/q4_0/repacked_*.hpp):
//   - repacking keeps every row's bytes; padded rows decode to 0;
//   - the scalar tile is the product of the decoded weights and the decoded
//     int8 activations (double precision, to float rounding);
//   - the SIMD tile (AVX-512 VNNI, AVX2; a skipped case elsewhere) equals the
//     scalar tile bit for bit, also at the largest codes and activations
//     and over decode's panels side by side, and so does the unpacking into
//     prefill's int8 panel (AVX-512 VNNI), which equals the file layout's
//     own unpacking;
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

#include <cmath>
#include <cstring>
#include <vector>

#include "glm4/kernels/q4_0/repacked_reference.hpp"
#include "glm4/quant/repacked_matrix.hpp"
#include "glm4/runtime/matmul.hpp"
#include "kernels/random_activations.hpp"
#include "kernels/skip_unless_compiled.hpp"

using namespace glm4;
namespace k = glm4::kernels;
namespace q = glm4::quant;
namespace q40 = glm4::kernels::q4_0_kernels;

namespace {

using testing::random_activations;
using testing::skip_unless_compiled;

constexpr bool compiled = k::has_repacked_kernels<q::q4_0>;

struct q4_0_weights {
  std::vector<q::q4_0::block> blocks;
  matrix<q::q4_0> m;
  q4_0_weights(std::size_t rows, std::size_t cols, unsigned seed) : blocks(rows * cols / 32) {
    const auto w = random_activations(rows * cols, seed, 0.05f);
    q::q4_0::quantize(w.data(), blocks.data(), rows * cols);
    m = matrix<q::q4_0>(blocks.data(), rows, cols, nullptr);
  }
};

std::vector<q40::repacked_act> prepared(const std::vector<float>& x, std::size_t cols) {
  std::vector<q40::repacked_act> a(x.size() / 32);
  for (std::size_t i = 0; i < x.size() / cols; ++i) q40::prepare_repacked(x.data() + i * cols, a.data() + i * cols / 32, cols);
  return a;
}

bool same_bits(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(repacking_keeps_every_rows_bytes) {
  const std::size_t rows = 37, cols = 256, nb = cols / 32;  // three panels, the last with 5 rows
  const q4_0_weights w(rows, cols, 1);
  const repacked_matrix<q::q4_0> r(w.m);
  BOOST_TEST(r.panels() == 3u);
  BOOST_TEST(r.bytes() == 3 * 16 * nb * sizeof(q::q4_0::block));
  std::vector<q::q4_0::block> row(nb);
  for (std::size_t i = 0; i < rows; ++i) {
    r.row(i, row.data());
    BOOST_TEST(std::memcmp(row.data(), w.m.row(i), nb * sizeof(q::q4_0::block)) == 0, "row " << i);
  }
  std::vector<k::panel_block> panel(nb);
  q40::unpack_repacked_reference(r.panel(2), nb, panel.data());
  float padded = 0.0f;
  for (std::size_t b = 0; b < nb; ++b)
    for (std::size_t i = 5; i < 16; ++i) padded += std::fabs(panel[b].scale[0][i]) + std::fabs(panel[b].offset[0][i]);
  BOOST_TEST(padded == 0.0f);
}

BOOST_AUTO_TEST_CASE(the_scalar_tile_is_the_product) {
  const std::size_t cols = 512, nb = cols / 32, tokens = 3;
  const q4_0_weights w(16, cols, 2);
  const repacked_matrix<q::q4_0> r(w.m);
  const auto x = random_activations(tokens * cols, 3);
  const auto a = prepared(x, cols);
  std::vector<float> out(tokens * 16), decoded(cols);
  q40::repacked_tile_reference(r.panel(0), nb, a.data(), nb, tokens, out.data());
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t i = 0; i < 16; ++i) {
      q::q4_0::dequantize(w.m.row(i), decoded.data(), cols);
      double sum = 0.0, magnitude = 0.0;
      for (std::size_t j = 0; j < cols; ++j) {
        const auto& act = a[t * nb + j / 32];
        const double v = static_cast<double>(decoded[j]) * act.d * act.qs[j % 32];
        sum += v;
        magnitude += std::fabs(v);
      }
      BOOST_TEST(std::fabs(out[t * 16 + i] - sum) <= 1e-5 * magnitude, "token " << t << " row " << i);
    }
}

BOOST_AUTO_TEST_CASE(the_simd_tile_equals_its_scalar_twin, *skip_unless_compiled(compiled, "q4_0's repacked tile")) {
#if defined(GLM4_INT8_PANEL)
  const std::size_t cols = 1024, nb = cols / 32;
  const q4_0_weights w(16, cols, 4);
  const repacked_matrix<q::q4_0> r(w.m);
  const auto a = prepared(random_activations(8 * cols, 5), cols);
  // Every code 15 against activations of +-127: the integer sums' bounds.
  std::vector<q::q4_0::block> full(nb);
  for (auto& b : full) {
    b.d = q::f16::from_float(1.0f);
    std::memset(b.qs, 0xff, sizeof b.qs);
  }
  std::vector<q::q4_0::block> sixteen(16 * nb);
  for (std::size_t i = 0; i < 16; ++i) std::memcpy(sixteen.data() + i * nb, full.data(), nb * sizeof full[0]);
  const repacked_matrix<q::q4_0> bound(matrix<q::q4_0>(sixteen.data(), 16, cols, nullptr));
  std::vector<q40::repacked_act> extreme(a);
  for (std::size_t i = 0; i < extreme.size(); ++i) {
    extreme[i].d = 1.0f;
    std::memset(extreme[i].qs, i % 2 ? 0x7f : 0x81, 32);  // 127, -127
    extreme[i].offset_sum = -8 * 32 * (i % 2 ? 127 : -127);
  }
  const auto check = [&]<std::size_t T>(const repacked_matrix<q::q4_0>& m, const std::vector<q40::repacked_act>& acts) {
    if constexpr (T <= q40::repacked_max_tokens) {  // AVX2's tiles stop at 4
      std::vector<float> simd(T * 16), twin(T * 16);
      q40::repacked_tile<T>(m.panel(0), nb, acts.data(), nb, simd.data(), 0);
      q40::repacked_tile_reference(m.panel(0), nb, acts.data(), nb, T, twin.data());
      BOOST_TEST(same_bits(simd.data(), twin.data(), T * 16), "T=" << T);
    }
  };
  const std::vector<q40::repacked_act>* sets[] = {&a, &extreme};
  for (const auto* acts : sets) {
    check.template operator()<1>(r, *acts);
    check.template operator()<2>(r, *acts);
    check.template operator()<4>(r, *acts);
    check.template operator()<8>(r, *acts);
    check.template operator()<q40::repacked_max_tokens>(bound, *acts);
  }
  // Decode's panels side by side (two on AVX2) equal each panel's twin.
  const auto side_by_side = [&]<std::size_t Panels>() {
    if constexpr (Panels > 1) {
      const q4_0_weights wide(16 * Panels, cols, 6);
      const repacked_matrix<q::q4_0> m(wide.m);
      std::vector<float> simd(Panels * 16), twin(16);
      q40::repacked_tile<1, Panels>(m.panel(0), nb, a.data(), nb, simd.data(), 0, nb);
      for (std::size_t q = 0; q < Panels; ++q) {
        q40::repacked_tile_reference(m.panel(q), nb, a.data(), nb, 1, twin.data());
        BOOST_TEST(same_bits(simd.data() + 16 * q, twin.data(), 16), "panel " << q);
      }
    }
  };
  side_by_side.template operator()<q40::repacked_decode_panels>();
#endif
}

#if defined(GLM4_QDOT_AVX512VNNI)
constexpr bool prefill_unpacks = true;
#else
constexpr bool prefill_unpacks = false;  // AVX2's prefill runs the tile (repacked_avx2.hpp)
#endif

BOOST_AUTO_TEST_CASE(prefills_panel_equals_the_file_layouts,
                     *skip_unless_compiled(compiled && prefill_unpacks, "q4_0's repacked unpacking")) {
#if defined(GLM4_QDOT_AVX512VNNI)
  const std::size_t cols = 768, nb = cols / 32;
  const q4_0_weights w(32, cols, 6);
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

BOOST_AUTO_TEST_CASE(matmul_gives_each_token_its_own_sums, *skip_unless_compiled(compiled, "q4_0's repacked matmul")) {
#if defined(GLM4_INT8_PANEL)
  // 5 panels, the last of 8 rows (AVX2 decode pairs panels and leaves one);
  // 13 blocks a row
  const std::size_t rows = 72, cols = 416;
  const q4_0_weights w(rows, cols, 7);
  const repacked_matrix<q::q4_0> r(w.m);
  const auto bias = random_activations(rows, 8);
  const auto x = random_activations(20 * cols, 9);
  for (const std::size_t threads : {1u, 2u}) {
    thread_pool pool(threads);
    std::vector<float> alone(20 * rows);
    for (std::size_t t = 0; t < 20; ++t) matmul(r, x.data() + t * cols, 1, alone.data() + t * rows, pool, bias.data());
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
      q::q4_0::dequantize(w.m.row(i), decoded.data(), cols);
      double sum = bias[i], magnitude = 0.0;
      for (std::size_t j = 0; j < cols; ++j) {
        sum += static_cast<double>(decoded[j]) * x[j];
        magnitude += std::fabs(static_cast<double>(decoded[j]) * x[j]);
      }
      BOOST_TEST(std::fabs(alone[i] - sum) <= 0.01 * magnitude, "row " << i);
    }
  }
#endif
}
