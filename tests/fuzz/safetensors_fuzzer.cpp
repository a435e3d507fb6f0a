// A Hugging Face checkpoint folder through io::checkpoint_folder, as
// model::load opens one: a model.safetensors (8-byte header length, JSON
// header, data) and, when the input has one, a model.safetensors.index.json
// naming the shards. The input is
//     index JSON, NUL, safetensors file
// (JSON holds no raw NUL, so the first one ends the index; an empty index
// means none, and so does an input without a NUL, all of it the file). The
// index's shard names resolve in the same folder, where the one shard is
// model.safetensors. Property: any input is a tensor source
// or a glm4::error, and every tensor it yields holds exactly shape x dtype
// bytes, inside its file.
//
// The seeds are the headers of tests/data/models/glm4-tiny (HF names) and
// glm-tiny-chatglm (THUDM names) with every dimension cut to at most 2, with
// and without an index, and a file of every dtype.
//
// The custom mutator edits the index, the header JSON or the data and then
// rewrites the length prefix to fit, so mutations reach the JSON's meaning
// instead of stopping at a length that no longer matches.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/checkpoint.hpp"
#include "glm4/quant/formats.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

// The parts of an input: the index (if any), the safetensors file, and
// within that file its header JSON and data when the length prefix fits.
struct parts {
  std::optional<std::string_view> index;
  std::string_view file;
  std::optional<std::string_view> header, data;

  explicit parts(std::string_view input) : file(input) {
    if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
      if (nul > 0) index = input.substr(0, nul);
      file = input.substr(nul + 1);
    }
    if (file.size() < 8) return;
    std::uint64_t length = 0;
    std::memcpy(&length, file.data(), 8);
    if (length > file.size() - 8) return;
    header = file.substr(8, length);
    data = file.substr(8 + length);
  }
};

void check_tensors(const glm4::io::checkpoint_folder& folder) {
  for (const auto& name : folder.names()) {
    const auto tensor = folder.find(name);
    glm4::fuzz::require(tensor.has_value(), "every name the folder lists is found");
    const auto traits = glm4::quant::traits_of(tensor->type);
    glm4::fuzz::require(static_cast<std::uint64_t>(tensor->elements()) * traits.block_bytes ==
                            tensor->bytes.size() * traits.block_elems,
                        "a tensor holds shape x dtype bytes");
    // A checkpoint folder's tensors are owned by their file's mapping.
    const auto file = static_cast<const glm4::io::mapped_file*>(tensor->owner.get())->bytes();
    const std::less<const std::byte*> before;
    glm4::fuzz::require(tensor->bytes.empty() || (!before(tensor->bytes.data(), file.data()) &&
                                                  !before(file.data() + file.size(),
                                                          tensor->bytes.data() + tensor->bytes.size())),
                        "a tensor's bytes lie in its file");
  }
}

// `part` of `input` replaced by its mutation with LLVMFuzzerMutate, which may
// grow it by up to `room` bytes. An empty part with no room stays empty:
// given nothing to mutate and no room, LLVMFuzzerMutate's fallback writes
// one byte anyway, and the input would outgrow max_size.
std::string mutate_part(std::string_view input, std::string_view part, std::size_t room) {
  if (part.empty() && room == 0) return std::string(input);
  std::string bytes(part);
  bytes.resize(part.size() + room);
  bytes.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(bytes.data()), part.size(), bytes.size()));
  const auto at = static_cast<std::size_t>(part.data() - input.data());
  return std::string(input.substr(0, at)) + bytes + std::string(input.substr(at + part.size()));
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  std::mt19937 rng(seed);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const parts in(input);
  if (!in.header || rng() % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const std::size_t room = max_size > size ? max_size - size : 0;
  const auto choice = rng() % 8;
  std::string out;
  if (choice < 5) {
    out = mutate_part(input, *in.header, room);
    // The length prefix again says where the header ends.
    const std::uint64_t length = in.header->size() + out.size() - size;
    std::memcpy(out.data() + (in.file.data() - input.data()), &length, 8);
  } else if (choice < 7 && in.index) {
    out = mutate_part(input, *in.index, room);
    // A NUL the mutation put into the index would move the split.
    if (out.find('\0') < out.size() - in.file.size() - 1) return LLVMFuzzerMutate(data, size, max_size);
  } else {
    out = mutate_part(input, in.data->empty() ? input.substr(size) : *in.data, room);
  }
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);  // never past the buffer
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const glm4::fuzz::scratch_folder& folder = glm4::fuzz::scratch();
  const parts in(std::string_view(reinterpret_cast<const char*>(data), size));
  folder.write("model.safetensors", in.file);
  if (in.index)
    folder.write("model.safetensors.index.json", *in.index);
  else
    folder.remove("model.safetensors.index.json");
  try {
    check_tensors(glm4::io::checkpoint_folder(folder.path()));
  } catch (const glm4::error&) {
  }
  return 0;
}
