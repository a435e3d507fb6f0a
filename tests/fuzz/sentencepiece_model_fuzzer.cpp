// A SentencePiece ModelProto (the protobuf of a *.model file, GLM-130B's
// icetk ice_text.model among them) through sentencepiece_model::parse, then
// as a plain SentencePiece tokenizer and as icetk's text tokenizer. Property:
// any bytes are a model or a glm4::error; each tokenizer built from a model
// (or refused with a glm4::error) encodes sample_text into ids that it
// decodes without fault.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "glm4/core/error.hpp"
#include "glm4/tokenizer/icetk.hpp"
#include "glm4/tokenizer/sentencepiece.hpp"
#include "glm4/tokenizer/sentencepiece_model.hpp"

namespace {

template <class Tokenizer>
void encode_and_decode(const Tokenizer& tokenizer) {
  const auto ids = tokenizer.encode(glm4::fuzz::sample_text);
  (void)tokenizer.decode(ids);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  glm4::sentencepiece_model model;
  try {
    model = glm4::sentencepiece_model::parse(std::string_view(reinterpret_cast<const char*>(data), size),
                                             "fuzz input");
  } catch (const glm4::error&) {
    return 0;
  }
  try {
    encode_and_decode(glm4::sentencepiece_tokenizer(model));
  } catch (const glm4::error&) {
  }
  try {
    encode_and_decode(glm4::icetk_tokenizer(model, {}));
  } catch (const glm4::error&) {
  }
  return 0;
}
