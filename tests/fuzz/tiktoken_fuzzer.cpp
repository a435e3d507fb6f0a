// glm-4-9b-chat's tokenizer.model (tiktoken: "<base64 token> <rank>" lines)
// through tokenizer::from_tiktoken. Property: any file is a tokenizer or a
// glm4::error; a tokenizer encodes sample_text (or refuses with a
// glm4::error, as when the vocabulary lacks a byte) and decodes the ids back
// to exactly that text, since byte-level BPE loses nothing.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "glm4/core/error.hpp"
#include "glm4/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = glm4::fuzz::scratch().write("tokenizer.model", {data, size});
  try {
    const auto tokenizer = glm4::tokenizer::from_tiktoken(path);
    const auto ids = tokenizer.encode(glm4::fuzz::sample_text);
    glm4::fuzz::require(tokenizer.decode(ids) == glm4::fuzz::sample_text, "decode(encode(text)) == text");
  } catch (const glm4::error&) {
  }
  return 0;
}
