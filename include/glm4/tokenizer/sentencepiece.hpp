// SentencePiece encoding and decoding, to the id what SentencePiece 0.1.97
// (spm_encode, spm_decode, the Python binding) produces. Each step follows a
// file of google/sentencepiece:
//
//   normalize   normalizer.cc: user-defined pieces are copied through; else
//               the longest rule of the precompiled charsmap (a Darts-clone
//               double-array trie over the source characters, and a blob of
//               NUL-terminated replacements) rewrites a prefix; else one
//               character is copied. Leading, trailing and repeated spaces are
//               dropped (remove_extra_whitespaces), a space is put in front
//               (add_dummy_prefix; at the end with treat_whitespace_as_suffix)
//               and spaces become U+2581 (escape_whitespaces).
//   segment     unigram_model.cc (EncodeOptimized): Viterbi over every piece
//               that starts at each character; a user-defined piece scores
//               length * max_score - 0.1, a character with no piece is <unk>
//               at min_score - 10. bpe_model.cc: start from characters (a
//               user-defined piece is one frozen symbol), merge the adjacent
//               pair whose concatenation is the piece with the highest score,
//               the leftmost one on ties. char_model.cc, word_model.cc.
//   ids         sentencepiece_processor.cc: with byte_fallback an <unk> becomes
//               the <0xNN> pieces of its UTF-8 bytes; without, a run of <unk>s
//               is one <unk>.
//   decode      pieces concatenated, U+2581 as a space, the dummy prefix's
//               space dropped, <0xNN> runs assembled into UTF-8 (U+FFFD for each
//               byte that does not fit), control pieces as nothing, <unk> as
//               " \u2047 ", then the denormalizer's rules when the model has them.
//
// Invalid UTF-8 in the input is not an error, as in SentencePiece: each byte
// that does not start a well-formed character is read as U+FFFD (which,
// with byte_fallback, encodes as <0xEF><0xBF><0xBD>).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/tokenizer/sentencepiece_model.hpp"
#include "glm4/tokenizer/utf8.hpp"
#include "glm4/tokenizer/vocab_index.hpp"

namespace glm4 {

namespace sentencepiece_detail {

inline constexpr std::string_view space_symbol = "\xE2\x96\x81";           // U+2581
inline constexpr std::string_view default_unk_surface = " \xE2\x81\x87 ";  // U+2047

// The length of the character starting at s[0], from its first byte alone
// (SentencePiece's OneCharLen), clipped to what is left.
inline std::size_t one_char_length(std::string_view s) {
  static constexpr std::uint8_t by_high_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return std::min<std::size_t>(by_high_nibble[static_cast<std::uint8_t>(s[0]) >> 4], s.size());
}

// Keys -> ids, searched for every key that is a prefix of a text. Children
// of a node are contiguous and sorted by byte, found by binary search.
class prefix_trie {
 public:
  prefix_trie() = default;

  // Later duplicates of a key are ignored.
  explicit prefix_trie(std::vector<std::pair<std::string_view, std::int32_t>> keys) {
    std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    keys.erase(std::unique(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               keys.end());
    nodes_.push_back({});
    // Breadth first, so that each node's children are appended together.
    struct task {
      std::size_t node, begin, end, depth;
    };
    std::vector<task> tasks{{0, 0, keys.size(), 0}};
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const task job = tasks[t];
      std::size_t i = job.begin;
      if (i < job.end && keys[i].first.size() == job.depth) nodes_[job.node].value = keys[i++].second;
      const auto first = static_cast<std::uint32_t>(nodes_.size());
      std::uint32_t count = 0;
      while (i < job.end) {
        const char byte = keys[i].first[job.depth];
        std::size_t j = i;
        while (j < job.end && keys[j].first[job.depth] == byte) ++j;
        node child;
        child.label = static_cast<std::uint8_t>(byte);
        nodes_.push_back(child);
        tasks.push_back({first + count, i, j, job.depth + 1});
        ++count;
        i = j;
      }
      nodes_[job.node].first_child = first;
      nodes_[job.node].child_count = static_cast<std::uint16_t>(count);
    }
  }

  bool empty() const { return nodes_.size() <= 1 && (nodes_.empty() || nodes_[0].value < 0); }

  // Calls visit(length, id) for each key that is a prefix of `text`, shortest first.
  template <class Visit>
  void prefixes(std::string_view text, Visit&& visit) const {
    if (nodes_.empty()) return;
    std::uint32_t at = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const node& n = nodes_[at];
      const node* begin = nodes_.data() + n.first_child;
      const node* end = begin + n.child_count;
      const auto byte = static_cast<std::uint8_t>(text[i]);
      const node* child = std::lower_bound(begin, end, byte, [](const node& c, std::uint8_t b) { return c.label < b; });
      if (child == end || child->label != byte) return;
      at = static_cast<std::uint32_t>(child - nodes_.data());
      if (child->value >= 0) visit(i + 1, child->value);
    }
  }

  // The length of the longest key that is a prefix of `text`, 0 if none.
  std::size_t longest_prefix(std::string_view text) const {
    std::size_t longest = 0;
    prefixes(text, [&](std::size_t length, std::int32_t) { longest = length; });
    return longest;
  }

 private:
  struct node {
    std::uint32_t first_child = 0;
    std::uint16_t child_count = 0;
    std::uint8_t label = 0;
    std::int32_t value = -1;
  };
  std::vector<node> nodes_;
};

// NormalizerSpec.precompiled_charsmap: <uint32 trie size><Darts-clone
// double array><NUL-terminated replacements>. A unit of the array packs a
// label (bits 0-7, bit 31 on value units), a has-leaf flag (bit 8) and an
// offset (bits 10-31, shifted 8 more when bit 9 is set); a node's child for
// byte b sits at node ^ offset ^ b, and its value unit at node ^ offset.
// Every index is checked against the array, which the file does not promise.
class precompiled_charsmap {
 public:
  precompiled_charsmap() = default;

  precompiled_charsmap(std::string_view blob, std::string where) : where_(std::move(where)) {
    if (blob.empty()) return;
    if (blob.size() <= 4) fail("is " + std::to_string(blob.size()) + " bytes, too short for its header");
    std::uint32_t trie_bytes = 0;
    for (int i = 0; i < 4; ++i) trie_bytes |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(blob[i])) << (8 * i);
    blob.remove_prefix(4);
    if (trie_bytes > blob.size()) {
      fail("claims a trie of " + std::to_string(trie_bytes) + " bytes but holds " + std::to_string(blob.size()));
    }
    if (trie_bytes < 4) fail("has an empty trie");
    units_.resize(trie_bytes / 4);
    for (std::size_t u = 0; u < units_.size(); ++u) {
      std::uint32_t v = 0;
      for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(blob[4 * u + i])) << (8 * i);
      units_[u] = v;
    }
    replacements_ = std::string(blob.substr(trie_bytes));
  }

  bool empty() const { return units_.empty(); }

  struct match {
    std::size_t length = 0;  // bytes of the input the rule replaces; 0: no rule
    std::string_view replacement;
  };

  // The longest rule whose source is a prefix of `text`.
  match longest_prefix(std::string_view text) const {
    match best;
    if (units_.empty()) return best;
    std::size_t at = offset(units_[0]);
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto byte = static_cast<std::uint8_t>(text[i]);
      at ^= byte;
      if (at >= units_.size()) return best;
      const std::uint32_t unit = units_[at];
      if ((unit & 0x800000FFu) != byte) return best;
      at ^= offset(unit);
      if ((unit >> 8) & 1) {
        if (at >= units_.size()) fail("has a rule whose value lies outside the trie");
        best = {i + 1, replacement(units_[at] & 0x7FFFFFFFu)};
      }
    }
    return best;
  }

 private:
  static std::size_t offset(std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

  std::string_view replacement(std::uint32_t at) const {
    const std::size_t end = replacements_.find('\0', at);
    if (at >= replacements_.size() || end == std::string::npos) {
      fail("has a rule pointing at byte " + std::to_string(at) + " of " + std::to_string(replacements_.size()) +
           " bytes of replacements, with no NUL after it");
    }
    return std::string_view(replacements_).substr(at, end - at);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw format_error(where_ + ": precompiled_charsmap " + problem);
  }

  std::vector<std::uint32_t> units_;
  std::string replacements_;
  std::string where_;
};

// normalizer.cc's Normalizer::Normalize, without the alignment to the input.
class normalizer {
 public:
  normalizer() = default;
  normalizer(const sentencepiece_model::normalizer_spec& spec, bool whitespace_as_suffix, std::string where)
      : charsmap_(spec.precompiled_charsmap, std::move(where)),
        add_dummy_prefix_(spec.add_dummy_prefix),
        remove_extra_whitespaces_(spec.remove_extra_whitespaces),
        escape_whitespaces_(spec.escape_whitespaces),
        whitespace_as_suffix_(whitespace_as_suffix) {}

  // Pieces copied through unnormalized: the model's user-defined pieces.
  void set_user_defined(std::shared_ptr<const prefix_trie> pieces) { user_defined_ = std::move(pieces); }

  std::string normalize(std::string_view input) const {
    std::string out;
    if (input.empty()) return out;
    if (remove_extra_whitespaces_) {
      while (!input.empty()) {
        const prefix p = normalize_prefix(input);
        if (p.text != " ") break;
        input.remove_prefix(p.consumed);
      }
    }
    if (input.empty()) return out;

    out.reserve(input.size() * 3);
    const std::string_view space = escape_whitespaces_ ? space_symbol : std::string_view(" ");
    if (!whitespace_as_suffix_ && add_dummy_prefix_) out += space;
    bool previous_was_space = remove_extra_whitespaces_;
    while (!input.empty()) {
      const prefix p = normalize_prefix(input);
      std::string_view text = p.text;
      while (previous_was_space && !text.empty() && text.front() == ' ') text.remove_prefix(1);
      if (!text.empty()) {
        for (const char c : text) {
          if (c == ' ' && escape_whitespaces_) {
            out += space_symbol;
          } else {
            out += c;
          }
        }
        previous_was_space = text.back() == ' ';
      }
      input.remove_prefix(p.consumed);
      if (!remove_extra_whitespaces_) previous_was_space = false;
    }
    if (remove_extra_whitespaces_) {
      while (out.size() >= space.size() && std::string_view(out).substr(out.size() - space.size()) == space) {
        out.resize(out.size() - space.size());
      }
    }
    if (whitespace_as_suffix_ && add_dummy_prefix_) out += space;
    return out;
  }

 private:
  struct prefix {
    std::string_view text;  // what the prefix normalizes to
    std::size_t consumed;   // bytes of the input it stands for
  };

  prefix normalize_prefix(std::string_view input) const {
    if (user_defined_ != nullptr) {
      const std::size_t length = user_defined_->longest_prefix(input);
      if (length > 0) return {input.substr(0, length), length};
    }
    const precompiled_charsmap::match m = charsmap_.longest_prefix(input);
    if (m.length > 0) return {m.replacement, m.length};
    const utf8::scanned c = utf8::scan(input, 0);
    if (c.state != utf8::status::valid) return {utf8::replacement_character, 1};
    return {input.substr(0, c.length), c.length};
  }

  precompiled_charsmap charsmap_;
  std::shared_ptr<const prefix_trie> user_defined_;
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  bool whitespace_as_suffix_ = false;
};

}  // namespace sentencepiece_detail

class sentencepiece_tokenizer {
 public:
  using piece_type = sentencepiece_model::piece_type;
  using algorithm = sentencepiece_model::algorithm;

  static sentencepiece_tokenizer open(const std::filesystem::path& model_file) {
    return sentencepiece_tokenizer(sentencepiece_model::read(model_file));
  }

  // Checks the piece table as SentencePiece's ModelInterface does.
  explicit sentencepiece_tokenizer(sentencepiece_model model) : model_(std::move(model)) {
    const std::string& source = model_.source;
    const std::size_t n = model_.pieces.size();
    if (n == 0) throw format_error(source + ": no pieces");
    if (n > static_cast<std::size_t>(INT32_MAX)) throw format_error(source + ": too many pieces");
    arena_offsets_.reserve(n + 1);
    arena_offsets_.push_back(0);
    for (const auto& p : model_.pieces) {
      arena_ += p.text;
      if (arena_.size() > UINT32_MAX) throw format_error(source + ": pieces exceed 4 GiB");
      arena_offsets_.push_back(static_cast<std::uint32_t>(arena_.size()));
    }

    normal_ = piece_index(n);
    reserved_ = piece_index(n);
    byte_of_.assign(n, -1);
    std::array<bool, 256> byte_found{};
    std::vector<std::pair<std::string_view, std::int32_t>> user_defined;
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = static_cast<std::int32_t>(i);
      const auto& p = model_.pieces[i];
      const std::string where = source + ": piece " + std::to_string(i);
      if (p.text.empty()) throw format_error(where + " is empty");
      const bool normal =
          p.type == piece_type::normal || p.type == piece_type::user_defined || p.type == piece_type::unused;
      piece_index& index = normal ? normal_ : reserved_;
      if (!index.insert(id, arena_.data(), arena_offsets_[i], arena_offsets_[i + 1] - arena_offsets_[i])) {
        throw format_error(where + " \"" + p.text + "\" repeats piece " +
                           std::to_string(index.find(p.text, arena_.data())));
      }
      if (p.type == piece_type::user_defined) user_defined.emplace_back(piece_of(id), id);
      if (p.type == piece_type::unknown) {
        if (unk_id_ >= 0) {
          throw format_error(where + " \"" + p.text + "\" is a second unknown piece after piece " +
                             std::to_string(unk_id_));
        }
        unk_id_ = id;
      }
      if (p.type == piece_type::byte) {
        if (!model_.byte_fallback) {
          throw format_error(where + " \"" + p.text + "\" is a byte piece but byte_fallback is off");
        }
        const int byte = byte_named(p.text);
        if (byte < 0) throw format_error(where + " \"" + p.text + "\" is a byte piece not spelled <0xNN>");
        byte_found[byte] = true;
        byte_of_[i] = static_cast<std::int16_t>(byte);
        byte_ids_[byte] = id;
      }
    }
    if (unk_id_ < 0) throw format_error(source + ": no unknown (<unk>) piece");
    if (model_.byte_fallback) {
      for (int b = 0; b < 256; ++b) {
        if (!byte_found[b]) {
          throw format_error(source + ": byte_fallback is on but there is no piece for the byte " + byte_name(b));
        }
      }
    }
    user_defined_ = std::make_shared<const sentencepiece_detail::prefix_trie>(std::move(user_defined));

    if (model_.model_type == algorithm::unigram) {
      // EncodeOptimized's bounds: over normal pieces only; max starts at
      // FLT_MIN (the smallest positive float, not the lowest), as there.
      min_score_ = std::numeric_limits<float>::max();
      max_score_ = std::numeric_limits<float>::min();
      std::vector<std::pair<std::string_view, std::int32_t>> lattice_pieces;
      for (std::size_t i = 0; i < n; ++i) {
        const auto& p = model_.pieces[i];
        if (p.type == piece_type::normal) {
          min_score_ = std::min(min_score_, p.score);
          max_score_ = std::max(max_score_, p.score);
        }
        if (p.type == piece_type::normal || p.type == piece_type::user_defined || p.type == piece_type::unused) {
          lattice_pieces.emplace_back(piece_of(static_cast<std::int32_t>(i)), static_cast<std::int32_t>(i));
        }
      }
      if (lattice_pieces.empty()) throw format_error(source + ": a unigram model with no normal pieces");
      lattice_ = sentencepiece_detail::prefix_trie(std::move(lattice_pieces));
    }

    normalizer_ = sentencepiece_detail::normalizer(model_.normalizer, model_.treat_whitespace_as_suffix, source);
    normalizer_.set_user_defined(user_defined_);
    if (model_.denormalizer && !model_.denormalizer->precompiled_charsmap.empty()) {
      denormalizer_.emplace(*model_.denormalizer, false, source + " (denormalizer)");
    }
  }

  std::vector<std::int32_t> encode(std::string_view text) const {
    const std::string normalized = normalize(text);
    std::vector<std::int32_t> ids;
    for (const token& t : finish(segment(normalized))) ids.push_back(t.id);
    return ids;
  }

  // What spm_encode --output_format=piece prints, one string per piece.
  std::vector<std::string> encode_pieces(std::string_view text) const {
    const std::string normalized = normalize(text);
    std::vector<std::string> pieces;
    for (const token& t : finish(segment(normalized))) pieces.emplace_back(t.piece);
    return pieces;
  }

  // The text as the model's normalizer spec rewrites it, spaces as U+2581.
  std::string normalize(std::string_view text) const { return normalizer_.normalize(text); }

  std::string decode(std::span<const std::int32_t> ids) const {
    std::string text;
    std::string bytes;  // a run of <0xNN> pieces, assembled when it ends
    const auto flush_bytes = [&] {
      for (std::size_t i = 0; i < bytes.size();) {
        const utf8::scanned c = utf8::scan(bytes, i);
        if (c.state == utf8::status::valid) {
          text.append(bytes, i, c.length);
          i += c.length;
        } else {
          text += utf8::replacement_character;  // one per byte, as SentencePiece does
          ++i;
        }
      }
      bytes.clear();
    };
    const sentencepiece_model::normalizer_spec& spec = model_.normalizer;
    const std::string_view unk_surface =
        model_.unk_surface ? std::string_view(*model_.unk_surface) : sentencepiece_detail::default_unk_surface;
    // The dummy prefix's space is dropped from the first piece that starts
    // with one; with remove_extra_whitespaces, from every such piece until
    // some text has been written.
    bool at_start = true;
    bool start_space_seen = false;
    for (const std::int32_t given : ids) {
      check_id(given);
      // SentencePiece decodes ids through their pieces, looked up again.
      const std::int32_t id = id_of(piece_of(given));
      if (byte_of_[id] >= 0) {
        bytes += static_cast<char>(byte_of_[id]);
        continue;
      }
      flush_bytes();
      if (start_space_seen || !text.empty()) at_start = false;
      start_space_seen = false;
      const piece_type type = model_.pieces[id].type;
      if (type == piece_type::control) continue;
      if (type == piece_type::unknown) {
        text += unk_surface;
        continue;
      }
      std::string_view piece = piece_of(id);
      if (at_start && (spec.add_dummy_prefix || spec.remove_extra_whitespaces) &&
          piece.starts_with(sentencepiece_detail::space_symbol)) {
        piece.remove_prefix(sentencepiece_detail::space_symbol.size());
        start_space_seen = !spec.remove_extra_whitespaces;
      }
      for (std::size_t pos = 0; pos < piece.size();) {
        const std::size_t meta = piece.find(sentencepiece_detail::space_symbol, pos);
        if (meta == std::string_view::npos) {
          text.append(piece.substr(pos));
          break;
        }
        text.append(piece.substr(pos, meta - pos));
        text += ' ';
        pos = meta + sentencepiece_detail::space_symbol.size();
      }
    }
    flush_bytes();
    if (denormalizer_) return denormalizer_->normalize(text);
    return text;
  }

  std::size_t size() const { return model_.pieces.size(); }

  std::string_view piece_of(std::int32_t id) const {
    check_id(id);
    return std::string_view(arena_.data() + arena_offsets_[id], arena_offsets_[id + 1] - arena_offsets_[id]);
  }

  // SentencePiece's PieceToId: control, unknown and byte pieces first, then
  // the others; the unknown id when the piece is not in the model.
  std::int32_t id_of(std::string_view piece) const { return find(piece).value_or(unk_id_); }

  std::optional<std::int32_t> find(std::string_view piece) const {
    std::int32_t id = reserved_.find(piece, arena_.data());
    if (id < 0) id = normal_.find(piece, arena_.data());
    if (id < 0) return std::nullopt;
    return id;
  }

  piece_type type_of(std::int32_t id) const {
    check_id(id);
    return model_.pieces[id].type;
  }
  float score_of(std::int32_t id) const {
    check_id(id);
    return model_.pieces[id].score;
  }
  bool is_control(std::int32_t id) const { return type_of(id) == piece_type::control; }
  bool is_unknown(std::int32_t id) const { return type_of(id) == piece_type::unknown; }
  bool is_byte(std::int32_t id) const { return type_of(id) == piece_type::byte; }

  // The special ids as SentencePieceProcessor finds them: by the trainer's
  // piece names, -1 when that piece is missing or of the wrong type.
  std::int32_t unk_id() const { return special_id(model_.unk_piece, "<unk>", piece_type::unknown); }
  std::int32_t bos_id() const { return special_id(model_.bos_piece, "<s>", piece_type::control); }
  std::int32_t eos_id() const { return special_id(model_.eos_piece, "</s>", piece_type::control); }
  std::int32_t pad_id() const { return special_id(model_.pad_piece, "<pad>", piece_type::control); }

  const sentencepiece_model& model() const { return model_; }

 private:
  struct token {
    std::string_view piece;  // into the normalized text, or a piece of the model
    std::int32_t id;
  };

  void check_id(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= model_.pieces.size()) {
      throw invalid_argument(model_.source + ": piece id " + std::to_string(id) + " is out of range for " +
                             std::to_string(model_.pieces.size()) + " pieces");
    }
  }

  std::int32_t special_id(const std::string& piece, std::string_view fallback, piece_type type) const {
    const std::int32_t id = id_of(piece.empty() ? fallback : std::string_view(piece));
    return model_.pieces[id].type == type ? id : -1;
  }

  static int byte_named(std::string_view piece) {
    // Exactly "<0xNN>" with upper-case hex, as ByteToPiece writes it.
    if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return -1;
    int value = 0;
    for (const char c : piece.substr(3, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'A' && c <= 'F') {
        value |= c - 'A' + 10;
      } else {
        return -1;
      }
    }
    return value;
  }

  static std::string byte_name(int byte) {
    static constexpr char hex[] = "0123456789ABCDEF";
    return std::string("<0x") + hex[byte >> 4] + hex[byte & 15] + ">";
  }

  std::vector<token> segment(std::string_view normalized) const {
    if (normalized.empty()) return {};
    switch (model_.model_type) {
      case algorithm::unigram:
        return segment_unigram(normalized);
      case algorithm::bpe:
        return segment_bpe(normalized);
      case algorithm::word:
        return segment_words(normalized);
      case algorithm::character:
        return segment_characters(normalized);
    }
    return {};
  }

  // unigram_model.cc's EncodeOptimized. Its arithmetic is kept: a piece's
  // candidate score is a double (the user-defined bonus subtracts the double
  // 0.1), stored back into a float; the <unk> candidate is all float.
  std::vector<token> segment_unigram(std::string_view normalized) const {
    struct best_path {
      std::int32_t id = -1;
      float score = 0.0f;
      std::int64_t starts_at = -1;
    };
    const std::size_t size = normalized.size();
    const float unk_score = min_score_ - 10.0f;
    std::vector<best_path> best(size + 1);
    for (std::size_t start = 0; start < size;) {
      const float score_here = best[start].score;
      const std::size_t char_length = sentencepiece_detail::one_char_length(normalized.substr(start));
      bool has_single_char_piece = false;
      lattice_.prefixes(normalized.substr(start), [&](std::size_t length, std::int32_t id) {
        const piece_type type = model_.pieces[id].type;
        if (type == piece_type::unused) return;
        const double score = type == piece_type::user_defined
                                 ? static_cast<double>(static_cast<float>(length) * max_score_) - 0.1
                                 : static_cast<double>(model_.pieces[id].score);
        const double candidate = score + static_cast<double>(score_here);
        best_path& target = best[start + length];
        if (target.starts_at == -1 || candidate > static_cast<double>(target.score)) {
          target = {id, static_cast<float>(candidate), static_cast<std::int64_t>(start)};
        }
        if (length == char_length) has_single_char_piece = true;
      });
      if (!has_single_char_piece) {
        best_path& target = best[start + char_length];
        const float candidate = unk_score + score_here;
        if (target.starts_at == -1 || candidate > target.score) {
          target = {unk_id_, candidate, static_cast<std::int64_t>(start)};
        }
      }
      start += char_length;
    }
    std::vector<token> out;
    for (std::size_t end = size; end > 0;) {
      const best_path& node = best[end];
      if (node.starts_at < 0) {
        // Unreachable: every character boundary gets a piece or an <unk>.
        throw format_error(model_.source + ": the unigram lattice has no path (a piece ends inside a character)");
      }
      const auto start = static_cast<std::size_t>(node.starts_at);
      out.push_back({normalized.substr(start, end - start), node.id});
      end = start;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  // bpe_model.cc's SampleEncode without dropout.
  std::vector<token> segment_bpe(std::string_view normalized) const {
    struct symbol {
      std::int32_t prev;
      std::int32_t next;
      bool frozen;  // a user-defined piece: never merged
      std::string_view piece;
    };
    struct pair {
      float score;
      std::int32_t left;
      std::int32_t right;
      std::size_t size;
    };
    // Highest score first, then the leftmost.
    const auto later = [](const pair& a, const pair& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<pair, std::vector<pair>, decltype(later)> agenda(later);
    std::vector<symbol> symbols;
    // Merges into unused pieces, to be split again at the end.
    std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unused_merges;

    const auto consider = [&](std::int32_t left, std::int32_t right) {
      if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
      const std::string_view merged(symbols[left].piece.data(),
                                    symbols[left].piece.size() + symbols[right].piece.size());
      const std::int32_t id = normal_.find(merged, arena_.data());
      if (id < 0) return;
      agenda.push({model_.pieces[id].score, left, right, merged.size()});
      if (model_.pieces[id].type == piece_type::unused) {
        unused_merges[merged] = {symbols[left].piece, symbols[right].piece};
      }
    };

    for (std::string_view rest = normalized; !rest.empty();) {
      const std::size_t user = user_defined_->longest_prefix(rest);
      const std::size_t length = user > 0 ? user : sentencepiece_detail::one_char_length(rest);
      const auto index = static_cast<std::int32_t>(symbols.size());
      rest.remove_prefix(length);
      symbols.push_back(
          {index - 1, rest.empty() ? -1 : index + 1, user > 0, std::string_view(rest.data() - length, length)});
    }
    for (std::size_t i = 1; i < symbols.size(); ++i) {
      consider(static_cast<std::int32_t>(i - 1), static_cast<std::int32_t>(i));
    }

    while (!agenda.empty()) {
      const pair top = agenda.top();
      agenda.pop();
      symbol& left = symbols[top.left];
      symbol& right = symbols[top.right];
      // Stale: a side was merged away or has grown since the pair was queued.
      if (left.piece.empty() || right.piece.empty() || left.piece.size() + right.piece.size() != top.size) continue;
      left.piece = std::string_view(left.piece.data(), top.size);
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = top.left;
      right.piece = {};
      consider(left.prev, top.left);
      consider(top.left, left.next);
    }

    std::vector<token> out;
    std::vector<std::string_view> pending;  // resegmentation, without recursion
    for (std::int32_t i = 0; i != -1; i = symbols[i].next) {
      pending.push_back(symbols[i].piece);
      while (!pending.empty()) {
        const std::string_view w = pending.back();
        pending.pop_back();
        const std::int32_t id = id_of(w);
        if (model_.pieces[id].type == piece_type::unused) {
          const auto split = unused_merges.find(w);
          if (split != unused_merges.end()) {
            pending.push_back(split->second.second);
            pending.push_back(split->second.first);
            continue;
          }
        }
        out.push_back({w, id});
      }
    }
    return out;
  }

  // word_model.cc: SplitIntoWords (a word starts at each U+2581), then a lookup.
  std::vector<token> segment_words(std::string_view normalized) const {
    std::vector<token> out;
    std::size_t word_start = 0;
    for (std::size_t pos = 0; pos < normalized.size();) {
      const std::size_t length = sentencepiece_detail::one_char_length(normalized.substr(pos));
      if (pos > 0 && normalized.substr(pos, length) == sentencepiece_detail::space_symbol) {
        const std::string_view word = normalized.substr(word_start, pos - word_start);
        out.push_back({word, id_of(word)});
        word_start = pos;
      }
      pos += length;
    }
    const std::string_view word = normalized.substr(word_start);
    out.push_back({word, id_of(word)});
    return out;
  }

  // char_model.cc: one character (or user-defined piece) at a time.
  std::vector<token> segment_characters(std::string_view normalized) const {
    std::vector<token> out;
    for (std::string_view rest = normalized; !rest.empty();) {
      const std::size_t user = user_defined_->longest_prefix(rest);
      const std::size_t length = user > 0 ? user : sentencepiece_detail::one_char_length(rest);
      out.push_back({rest.substr(0, length), id_of(rest.substr(0, length))});
      rest.remove_prefix(length);
    }
    return out;
  }

  // sentencepiece_processor.cc's PopulateSentencePieceText: byte fallback,
  // and runs of <unk> joined into one.
  std::vector<token> finish(const std::vector<token>& segmented) const {
    std::vector<token> out;
    out.reserve(segmented.size());
    bool previous_unknown = false;
    for (const token& t : segmented) {
      const piece_type type = model_.pieces[t.id].type;
      const bool unknown = type == piece_type::unknown;
      if (type == piece_type::control) {
        // Only a word or character model can look a control piece up from
        // text; SentencePiece then fails ("all normalized characters are
        // not consumed"), and so does this.
        throw text_error(model_.source + ": the text \"" + std::string(t.piece) + "\" is the control piece " +
                         std::to_string(t.id) + ", which SentencePiece cannot encode from text");
      }
      if (unknown && model_.byte_fallback) {
        for (const char c : t.piece) {
          const std::int32_t id = byte_ids_[static_cast<std::uint8_t>(c)];
          out.push_back({piece_of(id), id});
        }
      } else if (unknown && previous_unknown) {
        out.back().piece = std::string_view(out.back().piece.data(), out.back().piece.size() + t.piece.size());
      } else {
        out.push_back(t);
      }
      previous_unknown = unknown;
    }
    return out;
  }

  sentencepiece_model model_;
  std::string arena_;  // every piece's bytes, back to back
  std::vector<std::uint32_t> arena_offsets_;
  piece_index normal_;    // normal, user-defined and unused pieces
  piece_index reserved_;  // control, unknown and byte pieces
  std::shared_ptr<const sentencepiece_detail::prefix_trie> user_defined_;
  sentencepiece_detail::prefix_trie lattice_;  // unigram: the pieces a path may use
  std::vector<std::int16_t> byte_of_;          // id -> byte of a <0xNN> piece, or -1
  std::array<std::int32_t, 256> byte_ids_{};
  std::int32_t unk_id_ = -1;
  float min_score_ = 0.0f;
  float max_score_ = 0.0f;
  sentencepiece_detail::normalizer normalizer_;
  std::optional<sentencepiece_detail::normalizer> denormalizer_;
};

}  // namespace glm4
