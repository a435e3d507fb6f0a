// Where weights come from, whatever the file format: a set of named tensors
// whose bytes stay valid while the source lives (usually memory-mapped).
// Names are canonical: the Hugging Face Glm4 names (`model.layers.0.self_attn.
// q_proj.weight`, `lm_head.weight` ...), so the model's loader is written once;
// each file format translates its own names (THUDM `transformer.*`, GGUF
// `blk.N.*`) when it builds its source. Shapes are row-major, outermost
// first, as PyTorch writes them: a Linear weight is {out_features, in_features}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/quant/block_format.hpp"

namespace glm4::io {

struct source_tensor {
  std::string name;                 // canonical name
  std::string file;                 // the file it lives in, for messages
  std::string file_name;            // its name inside that file, for messages
  quant::ggml_type type;            // storage type of `bytes`
  std::vector<std::int64_t> shape;  // row-major, outermost first
  std::span<const std::byte> bytes;
  std::shared_ptr<const void> owner;  // keeps `bytes` valid (the file mapping)

  std::int64_t elements() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

// What a tensor is, without its bytes.
struct tensor_info {
  quant::ggml_type type;
  std::vector<std::int64_t> shape;
  std::string file_name;  // its name inside its file, for messages
};

class tensor_source {
 public:
  virtual ~tensor_source() = default;
  // The tensor with this canonical name, or nullopt.
  virtual std::optional<source_tensor> find(std::string_view name) const = 0;
  // Every canonical name the source holds (for the "unexpected tensor" check).
  virtual std::vector<std::string> names() const = 0;
  // Whether the source holds `name`, without producing the tensor (which a
  // source that assembles tensors, like a partitioned checkpoint, would).
  virtual bool contains(std::string_view name) const { return find(name).has_value(); }
  // The tensor's type and shape, likewise without producing it.
  virtual std::optional<tensor_info> info(std::string_view name) const {
    const auto t = find(name);
    if (!t) return std::nullopt;
    return tensor_info{t->type, t->shape, t->file_name};
  }
  // What the source is, for messages ("GLM-4-9B-0414/ (4 safetensors files)").
  virtual std::string describe() const = 0;
  // Whether an absent lm_head means "tied to the embedding" whatever the
  // configuration says (GGUF files drop `output.weight` when it equals
  // `token_embd.weight`).
  virtual bool absent_lm_head_is_tied() const { return false; }
  // The loader has copied these bytes of a tensor (repacked them) and will
  // not read them again: a source whose bytes are a file's mapping lets
  // their pages go from the process's memory (the page cache keeps them).
  virtual void release(std::span<const std::byte>) const {}
};

}  // namespace glm4::io
