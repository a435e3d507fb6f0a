// A PyTorch checkpoint (torch.save's zip of a pickle and storages; GLM-130B's
// SwissArmyTransformer partitions) through io::torch_checkpoint: the zip
// reader, the pickle machine and the walk that finds tensors. Property: any
// file is a checkpoint or a glm4::error, and every tensor of a checkpoint
// holds exactly shape x dtype bytes, inside the mapped file.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "fuzz_support.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/safetensors.hpp"
#include "glm4/io/torch_checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = glm4::fuzz::scratch().write("checkpoint.pt", {data, size});
  try {
    const glm4::io::torch_checkpoint checkpoint(path);
    const auto file = checkpoint.mapping()->bytes();
    const std::less<const std::byte*> before;
    for (const auto& [name, tensor] : checkpoint.tensors()) {
      glm4::fuzz::require(static_cast<std::uint64_t>(tensor.elements()) *
                                  glm4::io::safetensors_dtype_size(tensor.dtype) ==
                              tensor.bytes.size(),
                          "a tensor holds shape x dtype bytes");
      glm4::fuzz::require(tensor.bytes.empty() || (!before(tensor.bytes.data(), file.data()) &&
                                                   !before(file.data() + file.size(),
                                                           tensor.bytes.data() + tensor.bytes.size())),
                          "a tensor's bytes lie in the file");
    }
  } catch (const glm4::error&) {
  }
  return 0;
}
