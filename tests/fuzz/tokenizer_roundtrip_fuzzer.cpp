// Tokenizers as lossless or documented-lossy codecs, on arbitrary bytes.
//
// GLM-4-9B-chat's byte-level BPE (docs/api.md): invalid UTF-8 is encoded byte
// by byte, so decode(encode(x)) == x for every x, valid UTF-8 or not, with
// special tokens split out or not; every id is in the vocabulary, and without
// special_tokens::allow no special id comes out (user text cannot forge
// "<|user|>"). stream_decoder joined over the ids gives x back when x is
// valid UTF-8 (it replaces what is not).
//
// GLM-130B's icetk (docs/tokenizers.md): SentencePiece normalizes (NFKC,
// extra whitespace, the dummy prefix) and reads invalid UTF-8 as U+FFFD, so
// a round trip is not the identity; what must hold is that it settles: the
// text of two round trips comes back unchanged from a third. Not of one: a
// literal "<|blank_80|>" in the input is the blank piece (GLM130BTokenizer
// reads it so too) and decodes to 80 spaces, which the next round joins to
// the spaces beside it, and SentencePiece strips a trailing space.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/tokenizer/open.hpp"
#include "glm4/tokenizer/stream_decoder.hpp"
#include "glm4/tokenizer/tokenizer.hpp"
#include "text_fuzz_support.hpp"

namespace {

const glm4::tokenizer& glm4_9b_chat() {
  static const glm4::tokenizer tok =
      glm4::tokenizer::from_tiktoken(GLM4_TEST_DATA_DIR "/tokenizer/glm-4-9b-chat/tokenizer.model");
  return tok;
}

const glm4::icetk_tokenizer& glm130b_tiny() {
  static const glm4::icetk_tokenizer tok = glm4::open_icetk(GLM4_TEST_DATA_DIR "/models/glm130b-tiny");
  return tok;
}

void check_bpe_round_trip(std::string_view text, glm4::special_tokens specials) {
  const glm4::tokenizer& tok = glm4_9b_chat();
  const std::vector<std::int32_t> ids = tok.encode(text, specials);
  for (const std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= tok.vocab_size()) __builtin_trap();
    if (specials == glm4::special_tokens::none && tok.is_special(id)) __builtin_trap();
  }
  if (tok.decode(ids) != text) __builtin_trap();
  if (!glm4::fuzz::is_valid_utf8(text)) return;
  glm4::stream_decoder stream(tok);
  std::string streamed;
  for (const std::int32_t id : ids) streamed += stream.push(id);
  streamed += stream.flush();
  if (streamed != text) __builtin_trap();
}

void check_icetk_settles(std::string_view text) {
  const glm4::icetk_tokenizer& tok = glm130b_tiny();
  const auto round_trip = [&](std::string_view s) { return tok.decode(tok.encode(s)); };
  const std::string twice = round_trip(round_trip(text));
  if (round_trip(twice) != twice) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  glm4_9b_chat();
  glm130b_tiny();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_bpe_round_trip(text, glm4::special_tokens::none);
  check_bpe_round_trip(text, glm4::special_tokens::allow);
  check_icetk_settles(text);
  return 0;
}
