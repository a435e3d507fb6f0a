// The compile-time weight parameter: a storage format per tensor role.
// Uniform schemes are one word (`weights::bf16`); mixed ones name each role
// (`weights::scheme<q4_k, q4_k, q6_k, q6_k>`). Norm weights and biases are
// always f32: they are tiny and every kernel wants them as floats.
#pragma once

#include <string>

#include "glm4/kernels/targets.hpp"
#include "glm4/quant/block_format.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/mixed_matrix.hpp"
#include "glm4/quant/repacked_matrix.hpp"

namespace glm4::inline GLM4_TARGET::weights {

// A role whose tensors may come in any of these formats, each kept as the file
// has it, or repacked where a member is repacked<F> (the first is the
// target when a file's type is none of them).
template <class... Members>
struct any_of {};

// A role whose tensors, of format F in the file, are repacked at load into
// panels of 16 rows (quant/repacked_matrix.hpp): the same values in memory
// of the process's own instead of the file's bytes in place, for kernels
// that serve a few tokens at nearly the cost of one (model/file_types.hpp
// picks it where the target has them).
template <quant::repackable F>
struct repacked {
  using format = F;
  using matrix_type = repacked_matrix<F>;
};

namespace detail {
// Per role: whether it is one, its matrix type, which file types it takes
// (in place, or exactly as repacked<F> repacks them) and its formats' names
// for messages ("q4_k", "q4_k|q6_k", "q4_0 repacked").
template <class R>
struct role_traits {
  static constexpr bool valid = quant::block_format<R>;
  using matrix_type = matrix<R>;
  static constexpr bool accepts(quant::ggml_type t) { return R::type == t; }
  static std::string names() { return std::string(R::name); }
};
template <quant::repackable F>
struct role_traits<repacked<F>> {
  static constexpr bool valid = true;
  using matrix_type = typename repacked<F>::matrix_type;
  static constexpr bool accepts(quant::ggml_type t) { return F::type == t; }
  static std::string names() { return std::string(F::name) + " repacked"; }
};
// An any_of's members: block formats and repacked<F>.
template <class M>
concept any_of_member = quant::block_format<M> || requires { typename M::format; };
template <any_of_member... Ms>
struct role_traits<any_of<Ms...>> {
  static constexpr bool valid = sizeof...(Ms) > 0;
  using matrix_type = mixed_matrix<Ms...>;
  static constexpr bool accepts(quant::ggml_type t) { return (role_traits<Ms>::accepts(t) || ...); }
  static std::string names() {
    std::string out;
    ((out += (out.empty() ? "" : "|") + role_traits<Ms>::names()), ...);
    return out;
  }
};
}  // namespace detail

// What a tensor role is stored as: one block format, any_of<...> or
// repacked<F>.
template <class R>
concept role_format = detail::role_traits<R>::valid;

// Whether a role keeps a tensor of runtime type `t` (in place, or repacked).
template <class R>
constexpr bool accepts(quant::ggml_type t) {
  return detail::role_traits<R>::accepts(t);
}

// The role's formats for messages.
template <class R>
std::string format_names() {
  return detail::role_traits<R>::names();
}

template <role_format R>
using weight_matrix = typename detail::role_traits<R>::matrix_type;

template <role_format Embedding, role_format Attention, role_format Ffn, role_format Output>
struct scheme {
  using embedding = Embedding;  // model.embed_tokens
  using attention = Attention;  // q/k/v/o projections
  using ffn = Ffn;              // gate_up and down projections
  using output = Output;        // lm_head
};

template <quant::block_format F>
using uniform = scheme<F, F, F, F>;

using f32 = uniform<quant::f32>;
using bf16 = uniform<quant::bf16>;

// llama.cpp's Q4_K_M: Q4_K everywhere but a Q6_K output and Q6_K attn_v /
// ffn_down in some layers. Where a row is no multiple of 256 (GLM-4-9B's
// ffn_down rows are 13696 wide) llama-quantize falls back to Q5_0 in place of
// Q4_K and Q8_0 in place of Q6_K.
using q4_k_m = scheme<quant::q4_k, any_of<quant::q4_k, quant::q6_k>,
                      any_of<quant::q4_k, quant::q6_k, quant::q5_0, quant::q8_0>, quant::q6_k>;

template <class S>
concept weight_scheme = role_format<typename S::embedding> && role_format<typename S::attention> &&
                        role_format<typename S::ffn> && role_format<typename S::output>;

}  // namespace glm4::inline GLM4_TARGET::weights

namespace glm4::inline GLM4_TARGET {
using weights::weight_matrix;
}  // namespace glm4::inline GLM4_TARGET
