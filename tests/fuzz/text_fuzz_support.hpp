// What the text fuzzers (tokenizer_roundtrip, chat_reply) share: telling
// valid UTF-8 apart, and cutting text where a stream_decoder could.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/tokenizer/utf8.hpp"

namespace glm4::fuzz {

inline bool is_valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const utf8::scanned c = utf8::scan(text, pos);
    if (c.state != utf8::status::valid) return false;
    pos += c.length;
  }
  return true;
}

// Valid UTF-8 `text` in pieces of about `bytes` each, every cut moved forward
// to the next character boundary: generated text reaches its readers through
// a stream_decoder, which never splits a character.
inline std::vector<std::string> pieces_of(std::string_view text, std::size_t bytes) {
  std::vector<std::string> pieces;
  std::size_t begin = 0, pos = 0;
  while (pos < text.size()) {
    pos += utf8::scan(text, pos).length;
    if (pos - begin >= bytes || pos == text.size()) {
      pieces.emplace_back(text.substr(begin, pos - begin));
      begin = pos;
    }
  }
  return pieces;
}

}  // namespace glm4::fuzz
