// A weight matrix whose format is one of a closed set, chosen per tensor at
// load time. Files like llama.cpp's Q4_K_M give some layers' attn_v and
// ffn_down more bits (Q6_K) than the rest (Q4_K); a role declared
// `any_of<q4_k, q6_k>` keeps each tensor in its own format instead of
// re-quantizing it. The choice is made once per matrix per call (one branch
// before the kernel), never inside a kernel. A member is a block format,
// kept as matrix<F>, or a type naming its own matrix_type (a role that
// repacks, model/weight_scheme.hpp's repacked<F>).
#pragma once

#include <concepts>
#include <variant>

#include "glm4/quant/matrix.hpp"

namespace glm4 {

namespace detail {
template <class M>
struct member_matrix {
  using type = typename M::matrix_type;
};
template <quant::block_format F>
struct member_matrix<F> {
  using type = matrix<F>;
};
}  // namespace detail

template <class... Ms>
class mixed_matrix {
 public:
  mixed_matrix() = default;
  template <class M>
    requires(std::same_as<M, typename detail::member_matrix<Ms>::type> || ...)
  mixed_matrix(M m) : m_(std::move(m)) {}

  std::size_t rows() const {
    return std::visit([](const auto& m) { return m.rows(); }, m_);
  }
  std::size_t cols() const {
    return std::visit([](const auto& m) { return m.cols(); }, m_);
  }
  std::size_t bytes() const {
    return std::visit([](const auto& m) { return m.bytes(); }, m_);
  }
  // f(matrix<F>) (or the member's matrix_type) with the format this tensor
  // has.
  template <class Fn>
  decltype(auto) visit(Fn&& f) const {
    return std::visit(std::forward<Fn>(f), m_);
  }

 private:
  std::variant<typename detail::member_matrix<Ms>::type...> m_;
};

}  // namespace glm4
