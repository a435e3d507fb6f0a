// A GGUF file through everything a model file meets: io::gguf_file (header,
// metadata, tensor infos, placement of the data), the vocabulary it carries
// (tokenizer_from_gguf, then encoding sample_text), and glm4::open_model
// with the micro models (micro_model.hpp) as F32 or Q8_0, which reads the
// shape, checks and loads every tensor, then prefills 2 tokens. Property:
// any file is each of these or a glm4::error.
//
// Random bytes rarely keep a GGUF parseable past its first length, so the
// custom mutator below edits the file's fields in place: it walks the layout
// as the reader does, picks one field (a count, a type tag, a string or
// array length, a tensor's dimension, type or offset, the alignment, a
// number of the shape) and rewrites it, keeping every other byte.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "glm4/glm4.hpp"
#include "micro_model.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using glm4::io::gguf_type;

void load_and_prefill(const std::filesystem::path& path) {
  using file_types = glm4::file_types::list<glm4::file_types::f32, glm4::file_types::q8_0>;
  glm4::open_model<glm4::fuzz::micro_models, file_types>(path, [](const auto& model) {
    glm4::session run(model, {.context = 8, .threads = 1, .batch = 2});
    constexpr std::array<std::int32_t, 2> prompt{0, 1};
    (void)run.prefill(prompt);
  });
}

// --- The structure-aware mutator ---

// A field of the file the mutator may rewrite: `size` little-endian bytes
// at `offset`.
struct field {
  enum class role { count, length, value_type, value, n_dims, dim, tensor_type, tensor_offset, alignment };
  role what;
  std::size_t offset;
  std::size_t size;
};

// Walks a GGUF's header, metadata and tensor infos as gguf_file reads them,
// collecting their fields, and stops where the bytes stop making sense.
class layout {
 public:
  explicit layout(std::span<const std::uint8_t> bytes) : bytes_(bytes) {
    if (bytes.size() < 24 || std::memcmp(bytes.data(), "GGUF", 4) != 0) return;
    pos_ = 8;
    const auto n_tensors = number(field::role::count, 8);
    const auto n_kv = number(field::role::count, 8);
    for (std::uint64_t i = 0; i < n_kv && ok_; ++i) {
      const bool alignment = string() == "general.alignment";
      const auto type = number(field::role::value_type, 4);
      value(type, alignment);
    }
    for (std::uint64_t i = 0; i < n_tensors && ok_; ++i) {
      string();
      const auto n_dims = number(field::role::n_dims, 4);
      for (std::uint64_t d = 0; d < n_dims && d < 8 && ok_; ++d) number(field::role::dim, 8);
      number(field::role::tensor_type, 4);
      number(field::role::tensor_offset, 8);
    }
  }

  const std::vector<field>& fields() const { return fields_; }

 private:
  std::uint64_t number(field::role what, std::size_t size) {
    if (!ok_ || bytes_.size() - pos_ < size) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + pos_, size);
    fields_.push_back({what, pos_, size});
    pos_ += size;
    return v;
  }

  std::string_view string() {
    const auto n = number(field::role::length, 8);
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    const std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }

  void value(std::uint64_t type, bool alignment) {
    static constexpr std::uint8_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type >= std::size(sizes)) {
      ok_ = false;
    } else if (static_cast<gguf_type>(type) == gguf_type::string) {
      string();
    } else if (static_cast<gguf_type>(type) == gguf_type::array) {
      const auto element = number(field::role::value_type, 4);
      const auto count = number(field::role::length, 8);
      if (static_cast<gguf_type>(element) == gguf_type::array) ok_ = false;  // the reader refuses nesting
      for (std::uint64_t i = 0; i < count && ok_; ++i) value(element, false);
    } else {
      number(alignment ? field::role::alignment : field::role::value, sizes[type]);
    }
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
  std::vector<field> fields_;
};

// A new value for field `f` holding `old`: what each kind of field is
// likely to be wrong with.
std::uint64_t mutated(const field& f, std::uint64_t old, std::mt19937_64& rng) {
  const auto pick = [&](std::initializer_list<std::uint64_t> values) {
    return *(values.begin() + rng() % values.size());
  };
  const auto nudge = [&] { return old + pick({1, std::uint64_t(-1), 2, std::uint64_t(-2), 32, std::uint64_t(-32)}); };
  switch (f.what) {
    case field::role::value_type: return rng() % 14;  // every type and one past them
    case field::role::tensor_type: return pick({0, 1, 2, 3, 6, 7, 8, 9, 10, 12, 13, 14, 30, 39, rng() % 64});
    case field::role::n_dims: return rng() % 6;
    case field::role::alignment: return pick({0, 1, 3, 8, 16, 64, 4096, 1u << 31, old * 2, old / 2});
    case field::role::tensor_offset: return pick({0, 32, nudge(), old * 2, old + 4096, std::uint64_t(-32)});
    case field::role::count:
    case field::role::length:
    case field::role::dim:
      return pick({0, 1, nudge(), nudge(), old * 2, old / 2, std::uint64_t(1) << 31, std::uint64_t(1) << 62,
                   std::uint64_t(-1)});
    case field::role::value:
      return pick({0, 1, nudge(), old * 2, old / 2, std::uint64_t(-1), rng()});
  }
  return old;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  std::mt19937_64 rng(seed);
  const layout file({data, size});
  // One time in four, or when nothing parses, libFuzzer's own byte-level
  // mutations: they find what a field-wise edit cannot (cut strings, bytes
  // inside keys and tensor data).
  if (file.fields().empty() || rng() % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const field& f = file.fields()[rng() % file.fields().size()];
  std::uint64_t v = 0;
  std::memcpy(&v, data + f.offset, f.size);
  v = mutated(f, v, rng);
  std::memcpy(data + f.offset, &v, f.size);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = glm4::fuzz::scratch().write("model.gguf", {data, size});
  try {
    const auto file = glm4::io::gguf_file::open(path);
    try {
      (void)glm4::tokenizer_from_gguf(*file).encode(glm4::fuzz::sample_text);
    } catch (const glm4::error&) {
    }
    load_and_prefill(path);
  } catch (const glm4::error&) {
  }
  return 0;
}
