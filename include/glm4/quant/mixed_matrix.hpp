// A weight matrix whose format is one of a closed set, chosen per tensor at
// load time. Files like llama.cpp's Q4_K_M give some layers' attn_v and
// ffn_down more bits (Q6_K) than the rest (Q4_K); a role declared
// `any_of<q4_k, q6_k>` keeps each tensor in its own format instead of
// re-quantizing it. The choice is made once per matrix per call (one branch
// before the kernel), never inside a kernel.
#pragma once

#include <variant>

#include "glm4/quant/matrix.hpp"

namespace glm4 {

template <quant::block_format... Fs>
class mixed_matrix {
 public:
  mixed_matrix() = default;
  template <quant::block_format F>
  mixed_matrix(matrix<F> m) : m_(std::move(m)) {}

  std::size_t rows() const {
    return std::visit([](const auto& m) { return m.rows(); }, m_);
  }
  std::size_t cols() const {
    return std::visit([](const auto& m) { return m.cols(); }, m_);
  }
  std::size_t bytes() const {
    return std::visit([](const auto& m) { return m.bytes(); }, m_);
  }
  // f(matrix<F>) with the format this tensor has.
  template <class Fn>
  decltype(auto) visit(Fn&& f) const {
    return std::visit(std::forward<Fn>(f), m_);
  }

 private:
  std::variant<matrix<Fs>...> m_;
};

}  // namespace glm4
