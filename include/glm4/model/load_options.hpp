// How a checkpoint is loaded into a compiled weight scheme.
#pragma once

#include <cstddef>
#include <functional>
#include <iostream>
#include <string>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET {

struct load_options {
  // A tensor stored in another type than its role's format is converted once
  // at load (e.g. a bf16 checkpoint quantized to q8_0, or a q6_k tensor in a
  // q4_k role). With strict_types that is an error instead.
  bool strict_types = false;
  // Receives one line per tensor role and type pair that was converted.
  std::function<void(const std::string&)> note = [](const std::string& line) { std::clog << "glm4: " << line << '\n'; };
  // Called after each weight matrix is in place (or converted): matrices
  // done and in all, for a progress bar while a conversion takes time.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

}  // namespace glm4::inline GLM4_TARGET
