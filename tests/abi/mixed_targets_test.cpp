// Two translation units built for different SIMD targets in one program
// (target_probe.cpp twice): each must report and run its own kernels, and
// both must compute the same product (to the rounding their int8 kernels
// share: both quantize activations as ggml's q8_0).
#define BOOST_TEST_MODULE mixed_targets
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <string>

#include "target_probe.hpp"

namespace {
bool cpu_has(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) return (line + " ").find(" " + flag + " ") != std::string::npos;
  return false;
}
}  // namespace

BOOST_AUTO_TEST_CASE(each_translation_unit_runs_its_own_target,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return boost::test_tools::assertion_result(cpu_has("avx512vbmi") && cpu_has("avx2"));
                     })) {
  // On a CPU with AVX-512 VBMI the suite's -march=native build and the AVX2
  // build differ in both the Highway target and the integer kernels.
  const auto avx2 = glm4::abi_test::probe_avx2();
  const auto native = glm4::abi_test::probe_native();
  BOOST_TEST_MESSAGE("avx2 copy: " << avx2.abi_namespace << ", native copy: " << native.abi_namespace);
  BOOST_TEST(avx2.integer_kernels == "avx2");
  BOOST_TEST(native.integer_kernels == "avx512vbmi");
  BOOST_TEST(avx2.abi_namespace != native.abi_namespace);
  BOOST_REQUIRE(avx2.y.size() == native.y.size());
  for (std::size_t i = 0; i < avx2.y.size(); ++i) BOOST_TEST(std::abs(avx2.y[i] - native.y[i]) <= 1e-3f * (1 + std::abs(native.y[i])));
}
