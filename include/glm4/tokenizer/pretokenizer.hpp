// The GLM-4 pre-tokenizer: splits text into the pieces that BPE encodes one
// at a time. It is the cl100k_base pattern, run by tiktoken (Rust
// fancy-regex) and by HF tokenizers (Oniguruma):
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)       1 contraction
//   |[^\r\n\p{L}\p{N}]?\p{L}+          2 a word, with one leading non-letter
//   |\p{N}{1,3}                        3 up to three digits
//   | ?[^\s\p{L}\p{N}]+[\r\n]*         4 punctuation run, then line breaks
//   |\s*[\r\n]+                        5 white space through the last line break
//   |\s+(?!\S)                         6 white space but the last one
//   |\s+                               7 white space
//
// Hand-written rather than run through a regex library: the lookahead in 6
// rules out RE2/std::regex, and following the leftmost-first alternation by
// hand is exact and several times faster. Every character starts a match of
// some alternative, so the pieces tile the text.
//
// Bytes that are not well-formed UTF-8 are one "other" character each (as
// U+FFFD is for llama.cpp): they join punctuation runs and may lead a word, and
// are passed through to BPE untouched, so decode(encode(x)) == x for any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "glm4/tokenizer/unicode_tables.hpp"
#include "glm4/tokenizer/utf8.hpp"

namespace glm4 {

class glm4_pretokenizer {
 public:
  explicit glm4_pretokenizer(std::string_view text) : text_(text) {}

  // The next piece, or an empty view at the end of the text.
  std::string_view next() {
    const std::size_t begin = pos_;
    if (begin >= text_.size()) return {};
    pos_ = piece_end(begin);
    return text_.substr(begin, pos_ - begin);
  }

 private:
  // The pattern distinguishes \r and \n from the rest of \s.
  enum class kind : std::uint8_t { other, letter, number, space, line_break };

  struct character {
    kind k;
    std::uint8_t length;
  };

  character at(std::size_t pos) const {
    const auto b = static_cast<std::uint8_t>(text_[pos]);
    if (b < 0x80) return {ascii_kinds()[b], 1};
    const utf8::scanned c = utf8::scan(text_, pos);
    if (c.state != utf8::status::valid) return {kind::other, 1};
    return {of(unicode::classify(c.code)), c.length};
  }

  static constexpr kind of(unicode::char_class c) {
    switch (c) {
      case unicode::char_class::letter: return kind::letter;
      case unicode::char_class::number: return kind::number;
      case unicode::char_class::white_space: return kind::space;
      case unicode::char_class::other: break;
    }
    return kind::other;
  }

  static const kind* ascii_kinds() {
    static constexpr auto table = [] {
      struct {
        kind k[128];
      } t{};
      for (unsigned b = 0; b < 128; ++b) t.k[b] = of(unicode::ascii_classes[b]);
      t.k[std::size_t{'\r'}] = kind::line_break;
      t.k[std::size_t{'\n'}] = kind::line_break;
      return t;
    }();
    return table.k;
  }

  kind kind_at(std::size_t pos) const { return pos < text_.size() ? at(pos).k : kind::other; }

  // End of the run of `k` characters starting at pos.
  std::size_t run_end(std::size_t pos, kind k) const {
    while (pos < text_.size()) {
      const character c = at(pos);
      if (c.k != k) break;
      pos += c.length;
    }
    return pos;
  }

  // Alternative 1, case-insensitive; (?i) also folds U+017F LATIN SMALL
  // LETTER LONG S to 's' (Unicode simple case folding, in both engines).
  std::size_t contraction_end(std::size_t pos) const {
    const std::size_t n = text_.size();
    if (pos + 1 >= n) return 0;
    const auto lower = [&](std::size_t i) { return static_cast<char>(text_[i] | 0x20); };
    const char c1 = lower(pos + 1);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return pos + 2;
    if (text_.substr(pos + 1, 2) == "\xC5\xBF") return pos + 3;
    if (pos + 2 >= n) return 0;
    const char c2 = lower(pos + 2);
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
      return pos + 3;
    }
    return 0;
  }

  std::size_t piece_end(std::size_t pos) const {
    if (text_[pos] == '\'') {
      if (const std::size_t end = contraction_end(pos)) return end;
    }
    const character c = at(pos);
    switch (c.k) {
      case kind::letter:
        return run_end(pos + c.length, kind::letter);
      case kind::number: {
        std::size_t end = pos + c.length;
        for (int digits = 1; digits < 3 && end < text_.size(); ++digits) {
          const character d = at(end);
          if (d.k != kind::number) break;
          end += d.length;
        }
        return end;
      }
      case kind::other:
        if (kind_at(pos + c.length) == kind::letter) {
          return run_end(pos + c.length, kind::letter);
        }
        return punctuation_end(pos);
      case kind::space:
        if (kind_at(pos + c.length) == kind::letter) {
          return run_end(pos + c.length, kind::letter);
        }
        if (text_[pos] == ' ' && pos + 1 < text_.size() && at(pos + 1).k == kind::other) {
          return punctuation_end(pos + 1);
        }
        return white_space_end(pos);
      case kind::line_break:
        return white_space_end(pos);
    }
    return pos + c.length;
  }

  // Alternative 4 from its first non-space character: [^\s\p{L}\p{N}]+[\r\n]*
  std::size_t punctuation_end(std::size_t pos) const {
    pos = run_end(pos, kind::other);
    while (pos < text_.size() && (text_[pos] == '\r' || text_[pos] == '\n')) ++pos;
    return pos;
  }

  // Alternatives 5-7 over the maximal white-space run [pos, end):
  //  5: backtracking \s* until [\r\n]+ fits ends the match just after the
  //     run's last line break;
  //  6: without one, \s+ backs off one character so that (?!\S) holds, unless
  //     the run reaches the end of the text or is one character long;
  //  7: then the single character stands alone.
  std::size_t white_space_end(std::size_t pos) const {
    std::size_t end = pos;
    std::size_t after_last_break = 0;
    std::size_t last_start = pos;
    while (end < text_.size()) {
      const character c = at(end);
      if (c.k == kind::line_break) {
        after_last_break = end + 1;
      } else if (c.k != kind::space) {
        break;
      }
      last_start = end;
      end += c.length;
    }
    if (after_last_break != 0) return after_last_break;
    if (end == text_.size() || last_start == pos) return end;
    return last_start;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace glm4
