// A weight matrix stored in block format F: `rows` rows of `cols` values, each
// row a whole number of blocks, rows contiguous. The data is either borrowed
// from a memory-mapped file (zero copy when the file's type is F) or owned
// (converted at load time); `keep_alive` holds whichever it is.
#pragma once

#include <cstddef>
#include <memory>

#include "glm4/quant/block_format.hpp"

namespace glm4 {

template <quant::block_format F>
class matrix {
 public:
  using format = F;
  using block = typename F::block;

  matrix() = default;
  matrix(const block* data, std::size_t rows, std::size_t cols, std::shared_ptr<const void> keep_alive)
      : data_(data), rows_(rows), cols_(cols), keep_alive_(std::move(keep_alive)) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t blocks_per_row() const { return cols_ / F::block_elems; }
  const block* data() const { return data_; }
  const block* row(std::size_t r) const { return data_ + r * blocks_per_row(); }
  std::size_t bytes() const { return rows_ * blocks_per_row() * sizeof(block); }

 private:
  const block* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::shared_ptr<const void> keep_alive_;
};

}  // namespace glm4
