// How matmul quantizes activations for the integer formats, chosen at compile
// time (a session's template argument, like its KV format), so that a program
// instantiates one of the two kernel families of every format, not both.
// Float formats and formats without integer kernels compute the same either way.
#pragma once

#include <concepts>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// int8 activations (ggml's q8_0 rounding, what llama.cpp computes): batches
// of >= int8_panel_min_tokens tokens take int8_panel.hpp's panels, fewer
// tokens a format's gemv_dot where it has one (each token as decode computes
// it); twice the multiply-adds per instruction of int16. The default: the
// tests hold it within 15 % of llama.cpp's own error against transformers.
struct int8_activations {};

// int16 activations and dot_traits' int16 tiles and dots: 1/258 of int8's
// rounding, for every batch size.
struct int16_activations {};

template <class P>
concept activation_precision = std::same_as<P, int8_activations> || std::same_as<P, int16_activations>;

// Calls `visit.template operator()<P>()` for both precisions (tests and
// benchmarks that compare them).
template <class Visitor>
void for_each_precision(Visitor&& visit) {
  visit.template operator()<int8_activations>();
  visit.template operator()<int16_activations>();
}

}  // namespace glm4::inline GLM4_TARGET::kernels
