// Compiled twice into one test program, with different -march flags (see
// CMakeLists.txt): each copy names its build and multiplies a q4_0 matrix
// through the library's kernels. Without the per-target inline namespace
// (kernels/targets.hpp) the linker would keep one copy of every inline
// function for both, and the copies below would report the same target.
#include <random>
#include <string>
#include <vector>

#include "glm4/build_info.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/runtime/matmul.hpp"
#include "glm4/runtime/thread_pool.hpp"
#include "target_probe.hpp"

namespace glm4::abi_test {

probe_result PROBE_FUNCTION() {
  constexpr std::size_t rows = 8, cols = 256;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> w(rows * cols), x(cols);
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  std::vector<quant::q4_0::block> blocks(rows * cols / quant::q4_0::block_elems);
  quant::q4_0::quantize(w.data(), blocks.data(), w.size());
  const matrix<quant::q4_0> m(blocks.data(), rows, cols, nullptr);
  thread_pool pool(1);
  probe_result out;
  out.y.resize(rows);
  // Through volatile pointers, so that neither call is inlined here: each
  // goes to the out-of-line copy the linker keeps, which is what a merged
  // (one-namespace) build would share between the two copies.
  void (*volatile matmul)(const matrix<quant::q4_0>&, const float*, std::size_t, float*, thread_pool&, const float*) =
      &glm4::matmul<kernels::int8_activations, quant::q4_0>;
  build_info_t (*volatile info_of)() = &build_info;
  matmul(m, x.data(), 1, out.y.data(), pool, nullptr);
  const auto info = info_of();
  out.integer_kernels = std::string(info.integer_kernels);
  out.abi_namespace = std::string(info.abi_namespace);
  return out;
}

}  // namespace glm4::abi_test
