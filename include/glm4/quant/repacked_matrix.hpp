// A weight matrix of format F repacked at load into panels of 16 rows
// (panel_layout<F>), in memory of its own: what a role weights::repacked<F>
// stores. The values are the file's, bit for bit; only their order changes,
// so that one vector of codes serves 16 rows (quant/q4_0_panels.hpp says why;
// quant/q4_k_panels.hpp and q8_0_panels.hpp are q4_k's and q8_0's layouts).
// The last panel of a matrix whose rows are no multiple of 16 is padded
// with rows that decode to 0.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>

#include "glm4/quant/block_format.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/quant/q4_0_panels.hpp"
#include "glm4/quant/q4_k.hpp"
#include "glm4/quant/q4_k_panels.hpp"
#include "glm4/quant/q8_0.hpp"
#include "glm4/quant/q8_0_panels.hpp"

namespace glm4::quant {

// The panel layout a format repacks into, where it has one.
template <block_format F>
struct panel_layout;
template <>
struct panel_layout<q4_0> {
  using type = q4_0_panels;
};
template <>
struct panel_layout<q4_k> {
  using type = q4_k_panels;
};
template <>
struct panel_layout<q8_0> {
  using type = q8_0_panels;
};

template <class F>
concept repackable = block_format<F> && requires { typename panel_layout<F>::type; };

}  // namespace glm4::quant

namespace glm4 {

namespace detail {
// Anonymous memory that asks for 2 MiB pages, as the file mapping does
// (io/mapped_file.hpp): decode streams every panel once per token.
inline std::shared_ptr<void> huge_page_memory(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ::madvise(p, bytes, MADV_HUGEPAGE);
  return std::shared_ptr<void>(p, [bytes](void* q) { ::munmap(q, bytes); });
}
}  // namespace detail

template <quant::repackable F>
class repacked_matrix {
 public:
  using format = F;
  using layout = typename quant::panel_layout<F>::type;
  using panel_block = typename layout::block;
  static constexpr std::size_t panel_rows = layout::rows;

  repacked_matrix() = default;
  explicit repacked_matrix(const matrix<F>& w)
      : rows_(w.rows()), cols_(w.cols()), memory_(detail::huge_page_memory(std::max<std::size_t>(1, bytes()))) {
    auto* out = static_cast<panel_block*>(memory_.get());
    const std::size_t nb = blocks_per_row();
    for (std::size_t p = 0; p < panels(); ++p) {
      const std::size_t live = std::min(panel_rows, rows_ - p * panel_rows);
      const typename F::block* row[panel_rows] = {};
      for (std::size_t r = 0; r < live; ++r) row[r] = w.row(p * panel_rows + r);
      for (std::size_t b = 0; b < nb; ++b) layout::pack(row, live, b, out[p * nb + b]);
    }
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t blocks_per_row() const { return cols_ / F::block_elems; }
  std::size_t panels() const { return (rows_ + panel_rows - 1) / panel_rows; }
  // Panel p's blocks, [0, blocks_per_row()).
  const panel_block* panel(std::size_t p) const {
    return static_cast<const panel_block*>(memory_.get()) + p * blocks_per_row();
  }
  std::size_t bytes() const { return panels() * blocks_per_row() * sizeof(panel_block); }

  // Row r's blocks as the file has them.
  void row(std::size_t r, typename F::block* out) const {
    const panel_block* p = panel(r / panel_rows);
    for (std::size_t b = 0; b < blocks_per_row(); ++b) out[b] = layout::unpack(p[b], r % panel_rows);
  }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::shared_ptr<void> memory_;
};

}  // namespace glm4
