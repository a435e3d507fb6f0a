// GLM-130B's tokenizer: icetk's SentencePiece model ice_text.model as
// SwissArmyTransformer configures it for GLM-130B (GLM130BTokenizer and
// _IceTokenizer in sat/tokenization/icetk_glm_130B/ice_tokenizer.py).
//
//   ids       SentencePiece id + 20000: icetk's 20000 image tokens come first.
//   pieces    GLM130BTokenizer appends to ice_text.model's 130000 pieces the
//             control pieces [MASK] [gMASK] [sMASK] <eod> <sop> <eop> <ENC>
//             <dBLOCK> (ids 150000..150007), the user-defined <|tab|> and
//             <|blank_2|>..<|blank_80|> (150008..150086), and 256 <0xNN>
//             pieces with byte_fallback on (150087..150342).
//   text      before encoding "\n" becomes "<n>" (a user-defined piece of
//             ice_text.model), "\t" becomes "<|tab|>", and each run of 2..80
//             spaces becomes "<|blank_N|>" (longest first: 85 spaces are
//             <|blank_80|><|blank_5|>, 81 are <|blank_80|> and a space).
//             Decoding undoes the three after SentencePiece's decode.
//   commands  _IceTokenizer's table: [MASK] [gMASK] [sMASK] eod sop eop ENC
//             dBLOCK at 150000.., and eos = 20002 (icetk's </s>). Its <t> and
//             <blank_N> entries are the appended text pieces above, not
//             commands: they decode to whitespace.
//
// A smaller model (a test fixture) sets its own offset and command ids.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/tokenizer/sentencepiece.hpp"
#include "glm4/tokenizer/sentencepiece_model.hpp"

namespace glm4 {

struct icetk_options {
  // Added to every SentencePiece id.
  std::int32_t text_offset = 20000;
  // Ids that are not text: never produced by encode, skipped by decode.
  std::map<std::string, std::int32_t, std::less<>> commands = {
      {"[MASK]", 150000}, {"[gMASK]", 150001}, {"[sMASK]", 150002}, {"eod", 150003}, {"sop", 150004},
      {"eop", 150005},    {"ENC", 150006},     {"dBLOCK", 150007},  {"eos", 20002}};
  // Append GLM130BTokenizer's pieces (see above) to the model. Pieces the
  // model already has are not added again, and the byte pieces only when it
  // has no byte fallback of its own, so a model trained with them changes
  // nothing.
  bool add_glm130b_pieces = true;
  // The longest run of spaces written as one <|blank_N|>.
  int max_blank_length = 80;
  bool encode_linebreaks = true;   // "\n" as "<n>"
  bool encode_whitespaces = true;  // "\t" as "<|tab|>", runs of spaces as "<|blank_N|>"
};

class icetk_tokenizer {
 public:
  static icetk_tokenizer open(const std::filesystem::path& ice_text_model, icetk_options options = {}) {
    return icetk_tokenizer(sentencepiece_model::read(ice_text_model), std::move(options));
  }

  icetk_tokenizer(sentencepiece_model model, icetk_options options)
      : options_(std::move(options)), text_(configure(std::move(model), options_)) {
    const std::string& source = text_.model().source;
    if (options_.text_offset < 0) {
      throw invalid_argument(source + ": icetk text_offset is " + std::to_string(options_.text_offset) +
                             "; it must not be negative");
    }
    if (text_.size() > static_cast<std::size_t>(INT32_MAX - options_.text_offset)) {
      throw invalid_argument(source + ": " + std::to_string(text_.size()) + " pieces after a text_offset of " +
                             std::to_string(options_.text_offset) + " overflow 32-bit ids");
    }
    vocab_size_ = static_cast<std::size_t>(options_.text_offset) + text_.size();
    for (const auto& [name, id] : options_.commands) {
      if (id < 0) throw invalid_argument(source + ": icetk command " + name + " has the id " + std::to_string(id));
      command_ids_.push_back(id);
      vocab_size_ = std::max(vocab_size_, static_cast<std::size_t>(id) + 1);
    }
    std::sort(command_ids_.begin(), command_ids_.end());
  }

  std::vector<std::int32_t> encode(std::string_view text) const {
    std::vector<std::int32_t> ids = text_.encode(preprocess(text));
    for (std::int32_t& id : ids) id += options_.text_offset;
    return ids;
  }

  // Commands and image ids (below text_offset) are skipped; an id past the
  // text vocabulary that is not a command is an invalid_argument.
  std::string decode(std::span<const std::int32_t> ids) const {
    std::vector<std::int32_t> text_ids;
    text_ids.reserve(ids.size());
    for (const std::int32_t id : ids) {
      if (is_command(id)) continue;
      if (id < 0 || static_cast<std::size_t>(id) >= static_cast<std::size_t>(options_.text_offset) + text_.size()) {
        throw invalid_argument(text_.model().source + ": token id " + std::to_string(id) +
                               " is neither a command nor below the text vocabulary's end at " +
                               std::to_string(static_cast<std::size_t>(options_.text_offset) + text_.size()));
      }
      if (id < options_.text_offset) continue;
      text_ids.push_back(id - options_.text_offset);
    }
    return postprocess(text_.decode(text_ids));
  }

  std::int32_t command(std::string_view name) const {
    const auto it = options_.commands.find(name);
    if (it == options_.commands.end()) {
      std::string known;
      for (const auto& [n, id] : options_.commands) known += (known.empty() ? "" : ", ") + n;
      throw invalid_argument("icetk tokenizer has no command \"" + std::string(name) + "\" (it has " + known + ")");
    }
    return it->second;
  }

  bool is_command(std::int32_t id) const { return std::binary_search(command_ids_.begin(), command_ids_.end(), id); }

  // text_offset + pieces, or past the last command if that is further.
  std::size_t vocab_size() const { return vocab_size_; }
  std::int32_t text_offset() const { return options_.text_offset; }

  // The SentencePiece model as configured (ids without the offset).
  const sentencepiece_tokenizer& text_tokenizer() const { return text_; }

  // GLM130BTokenizer's spellings.
  static constexpr std::string_view linebreak_piece = "<n>";
  static constexpr std::string_view tab_piece = "<|tab|>";
  static std::string blank_piece(int length) { return "<|blank_" + std::to_string(length) + "|>"; }

 private:
  static sentencepiece_tokenizer configure(sentencepiece_model model, const icetk_options& options) {
    if (!options.add_glm130b_pieces) return sentencepiece_tokenizer(std::move(model));
    using type = sentencepiece_model::piece_type;
    std::vector<sentencepiece_model::piece> additions;
    {
      std::unordered_set<std::string_view> present;
      for (const auto& p : model.pieces) present.insert(p.text);
      const auto add = [&](std::string text, type t) {
        if (!present.contains(text)) additions.push_back({std::move(text), 0.0f, t});
      };
      for (const char* special : {"[MASK]", "[gMASK]", "[sMASK]", "<eod>", "<sop>", "<eop>", "<ENC>", "<dBLOCK>"}) {
        add(special, type::control);
      }
      add(std::string(tab_piece), type::user_defined);
      for (int n = 2; n <= options.max_blank_length; ++n) add(blank_piece(n), type::user_defined);
    }
    model.pieces.insert(model.pieces.end(), std::make_move_iterator(additions.begin()),
                        std::make_move_iterator(additions.end()));
    if (!model.byte_fallback) {
      model.byte_fallback = true;
      static constexpr char hex[] = "0123456789ABCDEF";
      for (int b = 0; b < 256; ++b) {
        model.pieces.push_back({std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">", 0.0f, type::byte});
      }
    }
    return sentencepiece_tokenizer(std::move(model));
  }

  // GLM130BTokenizer._preprocess: Python's str.replace for "\n" and "\t",
  // then for n = 80..2 over runs of spaces; a run of r spaces thus becomes
  // r / 80 <|blank_80|>s and one piece for the rest.
  std::string preprocess(std::string_view text) const {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    const int longest = options_.max_blank_length;
    for (std::size_t i = 0; i < text.size();) {
      const char c = text[i];
      if (c == '\n' && options_.encode_linebreaks) {
        out += linebreak_piece;
        ++i;
      } else if (c == '\t' && options_.encode_whitespaces) {
        out += tab_piece;
        ++i;
      } else if (c == ' ' && options_.encode_whitespaces && longest >= 2) {
        std::size_t run = 0;
        while (i + run < text.size() && text[i + run] == ' ') ++run;
        i += run;
        for (; run >= static_cast<std::size_t>(longest); run -= static_cast<std::size_t>(longest)) {
          out += blank_piece(longest);
        }
        if (run >= 2) {
          out += blank_piece(static_cast<int>(run));
        } else if (run == 1) {
          out += ' ';
        }
      } else {
        out += c;
        ++i;
      }
    }
    return out;
  }

  // The rest of GLM130BTokenizer.decode: "<n>", "<|tab|>" and
  // "<|blank_N|>" (2 <= N <= 80) back to whitespace. None of these can
  // appear inside another or be formed by a replacement, so one pass equals
  // Python's successive str.replace calls.
  std::string postprocess(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
      const std::string_view rest = text.substr(i);
      if (rest.starts_with(linebreak_piece)) {
        out += '\n';
        i += linebreak_piece.size();
        continue;
      }
      if (rest.starts_with(tab_piece)) {
        out += '\t';
        i += tab_piece.size();
        continue;
      }
      if (const blank b = blank_at(rest); b.length > 0) {
        out.append(static_cast<std::size_t>(b.spaces), ' ');
        i += b.length;
        continue;
      }
      out += text[i++];
    }
    return out;
  }

  struct blank {
    std::size_t length = 0;  // bytes of "<|blank_N|>"; 0: none
    int spaces = 0;          // N
  };

  // A "<|blank_N|>" at the start of `s`, N as GLM130BTokenizer writes it:
  // decimal without a leading zero, 2 <= N <= max_blank_length.
  blank blank_at(std::string_view s) const {
    static constexpr std::string_view head = "<|blank_";
    if (!s.starts_with(head)) return {};
    s.remove_prefix(head.size());
    std::size_t digits = 0;
    long n = 0;
    while (digits < s.size() && digits < 9 && s[digits] >= '0' && s[digits] <= '9') n = n * 10 + (s[digits++] - '0');
    if (digits == 0 || s[0] == '0' || n < 2 || n > options_.max_blank_length) return {};
    if (!s.substr(digits).starts_with("|>")) return {};
    return {head.size() + digits + 2, static_cast<int>(n)};
  }

  icetk_options options_;
  sentencepiece_tokenizer text_;
  std::vector<std::int32_t> command_ids_;  // sorted
  std::size_t vocab_size_ = 0;
};

}  // namespace glm4
