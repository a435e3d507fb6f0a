// The two copies of target_probe.cpp, under names given by CMake.
#pragma once

#include <string>
#include <vector>

namespace glm4::abi_test {

struct probe_result {
  std::string integer_kernels;  // build_info() as that copy sees it
  std::string abi_namespace;
  std::vector<float> y;         // a q4_0 matmul through its kernels
};

probe_result probe_avx2();    // built with -march=x86-64-v3 -maes -mpclmul
probe_result probe_native();  // built with the suite's flags (-march=native)

}  // namespace glm4::abi_test
