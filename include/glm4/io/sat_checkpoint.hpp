// A SwissArmyTransformer checkpoint folder (how GLM-130B is published) as a
// tensor_source: `mp_rank_00_model_states.pt` ... one PyTorch file per
// model-parallel partition (8 for GLM-130B), in the folder or in the
// subfolder its `latest` file names, the state dict under "module".
//
// The partitions are merged the way GLM-130B's tools/convert_tp.py does:
//   - column-parallel tensors (word_embeddings, query_key_value, and their
//     biases) are concatenated along rows; query_key_value's per-head
//     [q|k|v] rows stay whole because each partition holds whole heads;
//   - dense_h_to_4h is GeGLU: each partition's rows are its [x1 | x2]
//     halves, so the merged rows are every partition's x1, then every x2;
//   - row-parallel weights (attention.dense, dense_4h_to_h) are concatenated
//     along columns;
//   - LayerNorms and the row-parallel biases are replicated: rank 0's.
// One partition of float weights is used in place; merged tensors are built
// when the loader asks for them, one at a time.
//
// Quantized checkpoints (GLM-130B's --quantization-bit-width 8 / 4) store each
// projection as int8 codes, two 4-bit codes a byte for INT4 (the first in the
// high nibble), and one f16 `weight_scale` per row of each partition:
// w = code * scale. Where every partition's width is a whole number of
// 32-value blocks (GLM-130B's 1536 and 4096 are), that is exactly q8_0 /
// q4_0 with the row's scale in each block, and the tensor is offered in that
// format; otherwise as f32 (still exact: an 8-bit code times an f16 scale
// fits in f32's mantissa), which the loader converts to the compiled format.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/io/tensor_source.hpp"
#include "glm4/io/torch_checkpoint.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::io {

class sat_checkpoint final : public tensor_source {
 public:
  // The partition files of a SAT folder, rank order; empty if it has none.
  static std::vector<std::filesystem::path> partition_files(const std::filesystem::path& dir) {
    std::filesystem::path where = dir;
    if (!has_partitions(where) && std::filesystem::is_regular_file(dir / "latest")) {
      std::ifstream in(dir / "latest");
      std::string iteration;
      std::getline(in, iteration);
      while (!iteration.empty() && std::isspace(static_cast<unsigned char>(iteration.back()))) iteration.pop_back();
      if (iteration.empty() || iteration.find('/') != std::string::npos || iteration == "..")
        throw format_error((dir / "latest").string() + " does not name an iteration folder");
      where = dir / iteration;
    }
    std::vector<std::filesystem::path> files;
    for (std::size_t rank = 0;; ++rank) {
      const auto f = where / rank_file(rank);
      if (!std::filesystem::is_regular_file(f)) break;
      files.push_back(f);
    }
    if (!files.empty() && std::filesystem::is_directory(where))
      for (const auto& entry : std::filesystem::directory_iterator(where)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("mp_rank_", 0) == 0 && name.ends_with("_model_states.pt") &&
            std::find(files.begin(), files.end(), entry.path()) == files.end())
          throw format_error(where.string() + ": partition " + rank_file(files.size()) + " is missing (the folder has " +
                             name + ")");
      }
    return files;
  }

  explicit sat_checkpoint(const std::filesystem::path& dir) : dir_(dir) {
    const auto files = partition_files(dir);
    if (files.empty())
      throw io_error(dir.string() + ": no mp_rank_00_model_states.pt (in the folder or the one `latest` names)");
    for (const auto& f : files) parts_.push_back(std::make_shared<torch_checkpoint>(f));
    index();
  }

  std::optional<source_tensor> find(std::string_view name) const override {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return it->second.quantized ? dequantized(it->first, it->second) : merged(it->first, it->second);
  }
  bool contains(std::string_view name) const override { return entries_.count(name) != 0; }
  std::optional<tensor_info> info(std::string_view name) const override {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    const auto& [key, e] = *it;
    const auto& first = tensor(0, key);
    tensor_info out{quant::ggml_type::f32, first.shape, "module." + key};
    const std::size_t N = parts_.size();
    if (e.how == split::columns)
      out.shape[1] *= static_cast<std::int64_t>(N);
    else if (e.how != split::replicated)
      out.shape[0] *= static_cast<std::int64_t>(N);
    if (e.quantized) {
      out.shape[1] *= bits_ == 4 ? 2 : 1;
      out.type = quantized_type(key);
    } else if (const auto type = float_type(first.dtype)) {
      out.type = *type;
    } else {
      fail("'" + key + "' is " + first.dtype + "; weights must be F32, F16 or BF16 (or a quantized pair)");
    }
    return out;
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& [name, _] : entries_) out.push_back(name);
    return out;
  }

  std::string describe() const override {
    return dir_.string() + " (SwissArmyTransformer, " + std::to_string(parts_.size()) + " model-parallel partition" +
           (parts_.size() == 1 ? ")" : "s)") + (bits_ ? ", INT" + std::to_string(bits_) : "");
  }

  std::size_t partitions() const { return parts_.size(); }
  // 8 or 4 for a quantized checkpoint, 0 for float weights.
  int quantization_bits() const { return bits_; }

 private:
  enum class split { rows, glu_rows, columns, replicated };

  struct entry {
    split how;
    bool quantized = false;  // int codes with a weight_scale beside them
  };

  static std::string rank_file(std::size_t rank) {
    const std::string r = std::to_string(rank);
    return "mp_rank_" + std::string(r.size() < 2 ? 2 - r.size() : 0, '0') + r + "_model_states.pt";
  }
  static bool has_partitions(const std::filesystem::path& dir) {
    return std::filesystem::is_regular_file(dir / rank_file(0));
  }

  static split split_of(std::string_view name) {
    static constexpr std::string_view replicated[] = {
        "input_layernorm.weight", "input_layernorm.bias", "attention.dense.bias", "post_attention_layernorm.weight",
        "post_attention_layernorm.bias", "mlp.dense_4h_to_h.bias", "final_layernorm.weight", "final_layernorm.bias"};
    for (const auto suffix : replicated)
      if (name.ends_with(suffix)) return split::replicated;
    if (name.ends_with("mlp.dense_h_to_4h.weight") || name.ends_with("mlp.dense_h_to_4h.bias") ||
        name.ends_with("mlp.dense_h_to_4h.weight_scale"))
      return split::glu_rows;
    if (name.ends_with("attention.dense.weight") || name.ends_with("mlp.dense_4h_to_h.weight")) return split::columns;
    return split::rows;
  }

  [[noreturn]] void fail(const std::string& what) const { throw format_error(dir_.string() + ": " + what); }

  // The state dict of a partition: the tensors under "module." (SAT, DeepSpeed)
  // or, failing that, every tensor at the top.
  static std::map<std::string, const torch_tensor*, std::less<>> state_dict(const torch_checkpoint& part) {
    std::map<std::string, const torch_tensor*, std::less<>> out;
    for (const auto& [name, t] : part.tensors())
      if (name.rfind("module.", 0) == 0) out.emplace(name.substr(7), &t);
    if (out.empty())
      for (const auto& [name, t] : part.tensors()) out.emplace(name, &t);
    return out;
  }

  const torch_tensor& tensor(std::size_t rank, std::string_view name) const {
    const auto it = dicts_[rank].find(name);
    if (it == dicts_[rank].end()) fail(rank_file(rank) + " lacks '" + std::string(name) + "', which rank 0 has");
    return *it->second;
  }

  void index() {
    for (const auto& p : parts_) dicts_.push_back(state_dict(*p));
    for (std::size_t r = 1; r < dicts_.size(); ++r)
      if (dicts_[r].size() != dicts_[0].size())
        fail(rank_file(r) + " holds " + std::to_string(dicts_[r].size()) + " tensors, " + rank_file(0) + " " +
             std::to_string(dicts_[0].size()));
    for (const auto& [name, t] : dicts_[0]) {
      // GLM-130B saves its rotary frequencies; the network computes them.
      if (name.ends_with("rotary_emb.inv_freq") || name.ends_with(".weight_scale")) continue;
      const std::string scale = name.ends_with(".weight") ? name + "_scale" : "";
      const bool quantized = !scale.empty() && dicts_[0].count(scale) != 0;
      if (quantized && t->dtype != "I8")
        fail("'" + name + "' has a weight_scale but is " + t->dtype + ", not the int8 codes of a quantized checkpoint");
      entries_.emplace(name, entry{split_of(name), quantized});
    }
    for (const auto& [name, e] : entries_)
      for (std::size_t r = 0; r < parts_.size(); ++r) check_partition(name, e, r);
    if (std::any_of(entries_.begin(), entries_.end(), [](const auto& e) { return e.second.quantized; }))
      bits_ = detect_bits();
  }

  // Same dtype and shape as rank 0's where the split keeps them equal.
  void check_partition(const std::string& name, const entry& e, std::size_t rank) const {
    const auto& t = tensor(rank, name);
    const auto& first = tensor(0, name);
    if (t.shape.empty() || t.shape.size() > 2) fail("'" + name + "' is neither a vector nor a matrix");
    if (t.dtype != first.dtype || t.shape != first.shape)
      fail(rank_file(rank) + ": '" + name + "' differs from rank 0's in type or shape (partitions of one checkpoint?)");
    if (e.how == split::glu_rows && t.shape[0] % 2 != 0)
      fail("'" + name + "' has an odd number of rows; GeGLU's halves cannot split it");
    if (e.how == split::columns && t.shape.size() != 2) fail("'" + name + "' is split by columns but is not a matrix");
    if (e.quantized) {
      const auto& s = tensor(rank, name + "_scale");
      if (s.shape != std::vector<std::int64_t>{t.shape[0]} || (s.dtype != "F16" && s.dtype != "F32" && s.dtype != "BF16"))
        fail("'" + name + "_scale' is not one float per row of '" + name + "'");
    }
  }

  // INT8 or INT4: the embedding's width is the hidden size, which
  // query_key_value of layer 0 takes in as int8 codes or as half as many bytes.
  int detect_bits() const {
    const auto embed = dicts_[0].find("transformer.word_embeddings.weight");
    const auto qkv = dicts_[0].find("transformer.layers.0.attention.query_key_value.weight");
    if (embed == dicts_[0].end() || qkv == dicts_[0].end() || embed->second->shape.size() != 2 ||
        qkv->second->shape.size() != 2)
      fail("a quantized checkpoint without the word embedding and layer 0's query_key_value to tell INT8 from INT4");
    const auto hidden = embed->second->shape[1], packed = qkv->second->shape[1];
    if (packed == hidden) return 8;
    if (packed * 2 == hidden) return 4;
    fail("query_key_value holds " + std::to_string(packed) + " bytes a row for a hidden size of " +
         std::to_string(hidden) + ": neither INT8 nor INT4");
  }

  // Where merged row r comes from: (partition, its row).
  struct row_source {
    std::size_t rank, row;
  };
  std::vector<row_source> row_sources(split how, std::size_t part_rows) const {
    const std::size_t N = parts_.size();
    std::vector<row_source> out;
    if (how == split::rows || how == split::glu_rows) {
      const std::size_t halves = how == split::glu_rows ? 2 : 1, chunk = part_rows / halves;
      for (std::size_t h = 0; h < halves; ++h)
        for (std::size_t p = 0; p < N; ++p)
          for (std::size_t r = 0; r < chunk; ++r) out.push_back({p, h * chunk + r});
    } else {  // columns and replicated keep rank 0's row order
      for (std::size_t r = 0; r < part_rows; ++r) out.push_back({0, r});
    }
    return out;
  }

  static std::optional<quant::ggml_type> float_type(const std::string& dtype) {
    if (dtype == "F32") return quant::ggml_type::f32;
    if (dtype == "F16") return quant::ggml_type::f16;
    if (dtype == "BF16") return quant::ggml_type::bf16;
    return std::nullopt;
  }

  source_tensor merged(const std::string& name, const entry& e) const {
    const auto& first = tensor(0, name);
    const auto type = float_type(first.dtype);
    if (!type) fail("'" + name + "' is " + first.dtype + "; weights must be F32, F16 or BF16 (or a quantized pair)");
    source_tensor out{name, parts_[0]->path().string(), "module." + name, *type, first.shape, first.bytes,
                      parts_[0]->mapping()};
    if (parts_.size() == 1 || e.how == split::replicated) return out;

    const std::size_t part_rows = static_cast<std::size_t>(first.shape[0]);
    const std::size_t row_bytes = first.bytes.size() / std::max<std::size_t>(part_rows, 1);
    const std::size_t N = parts_.size();
    auto owned = std::make_shared<std::vector<std::byte>>(first.bytes.size() * N);
    std::byte* dst = owned->data();
    if (e.how == split::columns) {
      for (std::size_t r = 0; r < part_rows; ++r)
        for (std::size_t p = 0; p < N; ++p, dst += row_bytes)
          std::memcpy(dst, tensor(p, name).bytes.data() + r * row_bytes, row_bytes);
      out.shape[1] *= static_cast<std::int64_t>(N);
    } else {
      for (const auto& s : row_sources(e.how, part_rows)) {
        std::memcpy(dst, tensor(s.rank, name).bytes.data() + s.row * row_bytes, row_bytes);
        dst += row_bytes;
      }
      out.shape[0] *= static_cast<std::int64_t>(N);
    }
    out.bytes = std::span<const std::byte>(owned->data(), owned->size());
    out.owner = owned;
    return out;
  }

  // Row `row` of partition `rank`'s codes as ints, and its scale.
  void codes_of(const std::string& name, std::size_t rank, std::size_t row, std::int8_t* out, std::size_t width) const {
    const auto& t = tensor(rank, name);
    const auto* bytes = reinterpret_cast<const std::int8_t*>(t.bytes.data());
    if (bits_ == 8) {
      std::memcpy(out, bytes + row * width, width);
    } else {
      const std::int8_t* packed = bytes + row * (width / 2);
      for (std::size_t j = 0; j < width / 2; ++j) {
        out[2 * j] = static_cast<std::int8_t>(packed[j] >> 4);  // arithmetic shift keeps the sign
        out[2 * j + 1] = static_cast<std::int8_t>(static_cast<std::int8_t>(packed[j] << 4) >> 4);
      }
    }
  }

  float scale_of(const std::string& name, std::size_t rank, std::size_t row, bool& f16_exact) const {
    const auto& s = tensor(rank, name + "_scale");
    if (s.dtype == "F16") {
      quant::f16::block h;
      std::memcpy(&h, s.bytes.data() + row * sizeof h, sizeof h);
      return quant::f16::to_float(h);
    }
    float v = 0.0f;
    if (s.dtype == "F32") {
      std::memcpy(&v, s.bytes.data() + row * sizeof v, sizeof v);
    } else {  // BF16
      std::uint16_t b = 0;
      std::memcpy(&b, s.bytes.data() + row * sizeof b, sizeof b);
      const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
      std::memcpy(&v, &bits, sizeof v);
    }
    f16_exact = f16_exact && quant::f16::to_float(quant::f16::from_float(v)) == v;
    return v;
  }

  // q8_0 / q4_0 where they hold the codes exactly: blocks within one
  // partition's columns, scales that are f16 values.
  quant::ggml_type encoding(std::size_t part_width, bool f16_exact) const {
    if (part_width % quant::q8_0::block_elems != 0 || !f16_exact) return quant::ggml_type::f32;
    return bits_ == 8 ? quant::q8_0::type : quant::q4_0::type;
  }

  // The type dequantized() will offer, from the scales alone.
  quant::ggml_type quantized_type(const std::string& name) const {
    const auto& first = tensor(0, name);
    bool f16_exact = true;
    for (std::size_t p = 0; p < parts_.size(); ++p)
      for (std::size_t r = 0; r < static_cast<std::size_t>(first.shape[0]); ++r) scale_of(name, p, r, f16_exact);
    return encoding(static_cast<std::size_t>(first.shape[1]) * (bits_ == 4 ? 2 : 1), f16_exact);
  }

  source_tensor dequantized(const std::string& name, const entry& e) const {
    const auto& first = tensor(0, name);
    if (first.shape.size() != 2) fail("quantized '" + name + "' is not a matrix");
    const std::size_t N = parts_.size(), part_rows = static_cast<std::size_t>(first.shape[0]);
    const std::size_t part_width = static_cast<std::size_t>(first.shape[1]) * (bits_ == 4 ? 2 : 1);
    const bool by_columns = e.how == split::columns;
    const std::size_t rows = by_columns ? part_rows : part_rows * N, width = by_columns ? part_width * N : part_width;
    const std::size_t segments = by_columns ? N : 1;
    const auto sources = row_sources(e.how, part_rows);

    // The merged codes and each (row, segment)'s scale.
    std::vector<std::int8_t> codes(rows * width);
    std::vector<float> scales(rows * segments);
    bool f16_exact = true;  // every partition's every scale passes through here
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t g = 0; g < segments; ++g) {
        const row_source s = by_columns ? row_source{g, r} : sources[r];
        codes_of(name, s.rank, s.row, codes.data() + r * width + g * part_width, part_width);
        scales[r * segments + g] = scale_of(name, s.rank, s.row, f16_exact);
      }

    source_tensor out{name, parts_[0]->path().string(), "module." + name, quant::ggml_type::f32,
                      {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(width)}, {}, parts_[0]->mapping()};
    const auto type = encoding(part_width, f16_exact);
    if (type == quant::q8_0::type) return encoded<quant::q8_0>(std::move(out), codes, scales, segments, part_width);
    if (type == quant::q4_0::type) return encoded<quant::q4_0>(std::move(out), codes, scales, segments, part_width);
    auto owned = std::make_shared<std::vector<float>>(rows * width);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < width; ++c)
        (*owned)[r * width + c] = static_cast<float>(codes[r * width + c]) * scales[r * segments + c / part_width];
    out.bytes = std::as_bytes(std::span<const float>(*owned));
    out.owner = owned;
    return out;
  }

  // Blocks of F (q8_0 or q4_0) holding the codes exactly, each block's scale
  // its segment's.
  template <class F>
  static source_tensor encoded(source_tensor out, const std::vector<std::int8_t>& codes,
                               const std::vector<float>& scales, std::size_t segments, std::size_t part_width) {
    const auto rows = static_cast<std::size_t>(out.shape[0]), width = static_cast<std::size_t>(out.shape[1]);
    const std::size_t blocks = width / F::block_elems;
    auto owned = std::make_shared<std::vector<typename F::block>>(rows * blocks);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t b = 0; b < blocks; ++b) {
        auto& block = (*owned)[r * blocks + b];
        const std::int8_t* q = codes.data() + r * width + b * F::block_elems;
        block.d = quant::f16::from_float(scales[r * segments + b * F::block_elems / part_width]);
        if constexpr (std::is_same_v<F, quant::q8_0>) {
          std::memcpy(block.qs, q, F::block_elems);
        } else {  // ggml's q4_0: code + 8, element j low nibble of byte j, j + 16 the high one
          for (std::size_t j = 0; j < 16; ++j)
            block.qs[j] = static_cast<std::uint8_t>((q[j] + 8) | ((q[j + 16] + 8) << 4));
        }
      }
    out.type = F::type;
    out.bytes = std::as_bytes(std::span<const typename F::block>(*owned));
    out.owner = owned;
    return out;
  }

  std::filesystem::path dir_;
  std::vector<std::shared_ptr<torch_checkpoint>> parts_;
  std::vector<std::map<std::string, const torch_tensor*, std::less<>>> dicts_;
  std::map<std::string, entry, std::less<>> entries_;
  int bits_ = 0;
};

}  // namespace glm4::io
