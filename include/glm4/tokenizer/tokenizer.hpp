// The GLM-4 tokenizer: byte-level BPE over the GLM-4 pre-tokenizer, loaded
// from any of the three places a GLM-4 vocabulary ships in.
//
//   from_tiktoken  glm-4-9b-chat's tokenizer.model ("base64 rank" lines). A
//                  pair merges when its concatenation is a token, ranked by
//                  that token's rank (tiktoken); a piece that is itself a
//                  token is taken whole. The 14 special tokens follow the
//                  ranks (tokenization_chatglm.py) and padding fills the ids
//                  up to the checkpoint's 151552 embedding rows.
//   from_hf_json   tokenizer.json (GLM-4-0414, *-hf): merges ranked by their
//                  order in the file (HF BPE), added_tokens on top.
//   from_vocab     the vocabulary inside a GGUF file, as the GGUF reader
//                  hands it over; merges ranked by order, as llama.cpp does.
//
// All tokens are held as raw bytes, whatever the file's spelling. Special
// tokens are split out of the text before pre-tokenization, and only when
// the caller allows it, so user text cannot forge "<|user|>". Tokens added
// as plain text (HF added_tokens with "special": false, GGUF user-defined
// tokens) are always split out, as HF tokenizers and llama.cpp do.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/core/error.hpp"
#include "glm4/tokenizer/base64.hpp"
#include "glm4/tokenizer/bpe.hpp"
#include "glm4/tokenizer/byte_level.hpp"
#include "glm4/tokenizer/pretokenizer.hpp"
#include "glm4/tokenizer/vocab_index.hpp"

namespace glm4 {

// Whether special-token text such as "<|user|>" in the input becomes the
// special id (allow) or is encoded as ordinary text (none).
enum class special_tokens { none, allow };

class tokenizer {
 public:
  // The GLM-4 pre-tokenizer pattern, as tokenizer.json spells it.
  static constexpr std::string_view glm4_pattern =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

  // tokenization_chatglm.py's special tokens, in id order after the ranks.
  static constexpr std::array<std::string_view, 14> glm4_special_tokens = {
      "<|endoftext|>", "[MASK]",         "[gMASK]",           "[sMASK]",
      "<sop>",         "<eop>",          "<|system|>",        "<|user|>",
      "<|assistant|>", "<|observation|>", "<|begin_of_image|>", "<|end_of_image|>",
      "<|begin_of_video|>", "<|end_of_video|>"};

  // glm-4-9b-chat's padded_vocab_size: the embedding and output rows.
  static constexpr std::size_t glm4_padded_vocab_size = 151552;

  static tokenizer from_tiktoken(const std::filesystem::path& tokenizer_model) {
    const std::string file = tokenizer_model.string();
    const std::string text = read_file(tokenizer_model);
    vocabulary v;
    std::vector<std::int64_t> rank_of_line;
    std::size_t line_number = 0;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      const std::size_t space = line.find(' ');
      const auto where = [&] { return file + ": line " + std::to_string(line_number) + ": "; };
      if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos) {
        throw format_error(where() + "expected \"<base64 token> <rank>\", got \"" +
                           std::string(line.substr(0, 80)) + "\"");
      }
      std::optional<std::string> token = base64::decode(line.substr(0, space));
      if (!token || token->empty()) {
        throw format_error(where() + "invalid base64 token \"" +
                           std::string(line.substr(0, std::min<std::size_t>(space, 80))) + "\"");
      }
      const std::optional<std::int64_t> rank = parse_rank(line.substr(space + 1));
      if (!rank) {
        throw format_error(where() + "invalid rank \"" + std::string(line.substr(space + 1)) + "\"");
      }
      v.pieces.push_back(std::move(*token));
      rank_of_line.push_back(*rank);
    }
    if (v.pieces.empty()) throw format_error(file + ": no tokens");

    // tiktoken requires the ranks to be exactly 0..n-1; they are the ids.
    const std::size_t n = v.pieces.size();
    std::vector<std::string> by_rank(n);
    std::vector<bool> seen(n, false);
    for (std::size_t line = 0; line < n; ++line) {
      const std::int64_t rank = rank_of_line[line];
      if (rank < 0 || static_cast<std::size_t>(rank) >= n || seen[rank]) {
        throw format_error(file + ": rank " + std::to_string(rank) + " is " +
                           (rank >= 0 && static_cast<std::size_t>(rank) < n ? "repeated"
                                                                             : "out of range") +
                           "; ranks must be 0.." + std::to_string(n - 1) + ", each once");
      }
      seen[rank] = true;
      by_rank[rank] = std::move(v.pieces[line]);
    }
    v.pieces = std::move(by_rank);
    v.kinds.assign(n, token_kind::normal);
    for (const std::string_view s : glm4_special_tokens) {
      v.pieces.emplace_back(s);
      v.kinds.push_back(token_kind::special);
    }
    v.pieces.resize(std::max(v.pieces.size(), glm4_padded_vocab_size));
    v.kinds.resize(v.pieces.size(), token_kind::unused);
    v.ranks_are_ids = true;
    v.whole_piece_lookup = true;
    return tokenizer(std::move(v), file);
  }

  static tokenizer from_hf_json(const std::filesystem::path& tokenizer_json) {
    const std::string file = tokenizer_json.string();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(tokenizer_json));
    } catch (const nlohmann::json::exception& e) {
      throw format_error(file + ": not valid JSON: " + e.what());
    }
    try {
      return from_hf_json(j, file);
    } catch (const nlohmann::json::exception& e) {
      throw format_error(file + ": unexpected structure: " + e.what());
    }
  }

  // The vocabulary of a GGUF file (tokenizer.ggml.*). `tokens` are spelled
  // with the byte-to-unicode map like tokenizer.json, except control and
  // user-defined tokens, which are their text.
  struct vocab_spec {
    std::vector<std::string> tokens;
    std::vector<std::string> merges;  // "left right", best first
    // GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined,
    // 5 unused. Empty means all normal.
    std::vector<std::int32_t> token_types;
    std::string pre;  // tokenizer.ggml.pre: "glm4" or "chatglm-bpe"
  };

  static tokenizer from_vocab(const vocab_spec& spec) {
    const std::string source = "GGUF vocabulary";
    if (spec.pre != "glm4" && spec.pre != "chatglm-bpe") {
      throw format_error(source + ": tokenizer.ggml.pre is \"" + spec.pre +
                         "\"; only the GLM-4 pre-tokenizer (\"glm4\", \"chatglm-bpe\") is supported");
    }
    if (!spec.token_types.empty() && spec.token_types.size() != spec.tokens.size()) {
      throw format_error(source + ": tokenizer.ggml.token_type has " +
                         std::to_string(spec.token_types.size()) + " entries but tokenizer.ggml.tokens has " +
                         std::to_string(spec.tokens.size()));
    }
    vocabulary v;
    v.pieces.reserve(spec.tokens.size());
    for (std::size_t id = 0; id < spec.tokens.size(); ++id) {
      const std::int32_t type = spec.token_types.empty() ? 1 : spec.token_types[id];
      switch (type) {
        case 0:
        case 1:
          v.pieces.push_back(spelled_bytes(spec.tokens[id], id, source));
          v.kinds.push_back(token_kind::normal);
          break;
        case 2:
        case 3:
          v.pieces.push_back(spec.tokens[id]);
          v.kinds.push_back(token_kind::special);
          break;
        case 4:
          v.pieces.push_back(spec.tokens[id]);
          v.kinds.push_back(token_kind::added);
          break;
        case 5:
          v.pieces.emplace_back();
          v.kinds.push_back(token_kind::unused);
          break;
        default:
          throw format_error(source + ": token " + std::to_string(id) + " has type " +
                             std::to_string(type) + ", not one a byte-level BPE vocabulary uses");
      }
    }
    v.merges.reserve(spec.merges.size());
    for (std::size_t rank = 0; rank < spec.merges.size(); ++rank) {
      const std::string& m = spec.merges[rank];
      const std::size_t space = m.find(' ');
      if (space == std::string::npos) {
        throw format_error(source + ": merge " + std::to_string(rank) + " \"" + m +
                           "\" is not \"left right\"");
      }
      v.merges.push_back({spelled_bytes(m.substr(0, space), rank, source, "merge"),
                          spelled_bytes(m.substr(space + 1), rank, source, "merge")});
    }
    return tokenizer(std::move(v), source);
  }

  std::vector<std::int32_t> encode(std::string_view text,
                                   special_tokens specials = special_tokens::none) const {
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 1);
    bpe_merger merger(byte_ids_, merges_);
    const bool allow = specials == special_tokens::allow;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const special_match m = find_special(text, pos, allow);
      encode_ordinary(text.substr(pos, m.pos - pos), merger, ids);
      if (m.pos == text.size()) break;
      ids.push_back(m.id);
      pos = m.pos + m.length;
    }
    return ids;
  }

  // The bytes the ids stand for, concatenated; not necessarily valid UTF-8
  // when the ids split a character (see stream_decoder).
  std::string decode(std::span<const std::int32_t> ids) const {
    std::string out;
    for (const std::int32_t id : ids) out.append(piece(id));
    return out;
  }

  // The id of a token given its raw bytes (or a special token's text).
  std::optional<std::int32_t> token_id(std::string_view piece_bytes) const {
    const std::int32_t id = index_.find(piece_bytes, bytes_.data());
    if (id >= 0) return id;
    for (const special_entry& s : specials_) {
      if (bytes_of(s.id) == piece_bytes) return s.id;
    }
    return std::nullopt;
  }

  // A token's raw bytes; a special token's text; empty for padding ids.
  std::string_view piece(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= vocab_size()) {
      throw invalid_argument("token id " + std::to_string(id) + " is out of range for a vocabulary of " +
                             std::to_string(vocab_size()) + " tokens");
    }
    return bytes_of(id);
  }

  bool is_special(std::int32_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < kinds_.size() && kinds_[id] == token_kind::special;
  }

  std::size_t vocab_size() const { return kinds_.size(); }

 private:
  enum class token_kind : std::uint8_t {
    normal,   // takes part in BPE
    special,  // control token, split out only with special_tokens::allow
    added,    // text token outside BPE, always split out
    unused,   // padding: never produced, decodes to nothing
  };

  // What every loader reduces its file to.
  struct vocabulary {
    std::vector<std::string> pieces;  // raw bytes, by id
    std::vector<token_kind> kinds;
    // Merge pairs as raw bytes, best first. Unused when ranks_are_ids
    // (tiktoken): then every pair whose concatenation is a token merges, at
    // that token's id.
    std::vector<std::pair<std::string, std::string>> merges;
    bool ranks_are_ids = false;
    // A piece that is a token is taken whole, without merging (tiktoken; HF
    // "ignore_merges").
    bool whole_piece_lookup = false;
  };

  struct special_entry {
    std::int32_t id;
    bool always;  // added tokens match even with special_tokens::none
  };

  struct special_match {
    std::size_t pos;  // text.size() when there is none
    std::size_t length;
    std::int32_t id;
  };

  tokenizer(vocabulary v, const std::string& source) {
    const std::size_t n = v.pieces.size();
    if (n > merge_table::max_ids) {
      throw format_error(source + ": " + std::to_string(n) + " tokens; at most " +
                         std::to_string(merge_table::max_ids) + " are supported");
    }
    if (v.merges.size() > merge_table::max_merges) {
      throw format_error(source + ": " + std::to_string(v.merges.size()) + " merges; at most " +
                         std::to_string(merge_table::max_merges) + " are supported");
    }
    kinds_ = std::move(v.kinds);
    offsets_.reserve(n + 1);
    offsets_.push_back(0);
    for (const std::string& p : v.pieces) {
      bytes_ += p;
      offsets_.push_back(static_cast<std::uint32_t>(bytes_.size()));
    }
    whole_piece_lookup_ = v.whole_piece_lookup;

    std::size_t normal = 0;
    for (const token_kind k : kinds_) normal += k == token_kind::normal;
    index_ = piece_index(normal);
    for (std::size_t id = 0; id < n; ++id) {
      if (kinds_[id] != token_kind::normal) continue;
      if (v.pieces[id].empty()) {
        throw format_error(source + ": token " + std::to_string(id) + " is empty");
      }
      const auto inserted = index_.insert(static_cast<std::int32_t>(id), bytes_.data(), offsets_[id],
                                          offsets_[id + 1] - offsets_[id]);
      if (!inserted && v.ranks_are_ids) {
        throw format_error(source + ": token " + std::to_string(id) + " repeats the bytes of token " +
                           std::to_string(index_.find(v.pieces[id], bytes_.data())));
      }
    }
    for (unsigned b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      byte_ids_[b] = index_.find(std::string_view(&c, 1), bytes_.data());
      if (byte_ids_[b] < 0) {
        std::ostringstream hex;
        hex << std::hex << b;
        throw format_error(source + ": no token for the byte 0x" + hex.str() +
                           "; byte-level BPE needs all 256");
      }
    }

    if (v.ranks_are_ids) {
      build_merges_from_ranks(n);
    } else {
      build_merges_from_list(v.merges, source);
    }

    for (std::size_t id = 0; id < n; ++id) {
      const bool special = kinds_[id] == token_kind::special;
      if ((special || kinds_[id] == token_kind::added) && !v.pieces[id].empty()) {
        specials_.push_back({static_cast<std::int32_t>(id), !special});
        any_added_ = any_added_ || !special;
        first_bytes_[static_cast<std::uint8_t>(v.pieces[id][0])] = true;
      }
    }
    // Longest first, so that at one position the longest token wins (as HF
    // tokenizers' leftmost-longest added-token matching does).
    std::stable_sort(specials_.begin(), specials_.end(), [&](const special_entry& a, const special_entry& b) {
      return v.pieces[a.id].size() > v.pieces[b.id].size();
    });
  }

  // tiktoken: a pair (a, b) merges iff a+b is a token, at that token's rank.
  // Every split of every token into two tokens is such a pair.
  void build_merges_from_ranks(std::size_t n) {
    struct pair {
      std::int32_t left, right, token;
    };
    std::vector<pair> pairs;
    for (std::size_t id = 0; id < n; ++id) {
      if (kinds_[id] != token_kind::normal) continue;
      const std::string_view token = bytes_of(static_cast<std::int32_t>(id));
      for (std::size_t k = 1; k < token.size(); ++k) {
        const std::int32_t left = index_.find(token.substr(0, k), bytes_.data());
        if (left < 0) continue;
        const std::int32_t right = index_.find(token.substr(k), bytes_.data());
        if (right < 0) continue;
        pairs.push_back({left, right, static_cast<std::int32_t>(id)});
      }
    }
    merges_ = merge_table(pairs.size());
    for (const pair& p : pairs) merges_.insert(p.left, p.right, static_cast<std::uint32_t>(p.token), p.token);
  }

  void build_merges_from_list(const std::vector<std::pair<std::string, std::string>>& merges,
                              const std::string& source) {
    merges_ = merge_table(merges.size());
    std::string joined;
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [left_bytes, right_bytes] = merges[rank];
      joined = left_bytes + right_bytes;
      const std::int32_t left = index_.find(left_bytes, bytes_.data());
      const std::int32_t right = index_.find(right_bytes, bytes_.data());
      const std::int32_t merged = index_.find(joined, bytes_.data());
      if (left < 0 || right < 0 || merged < 0) {
        const std::string_view missing = left < 0 ? "left side" : right < 0 ? "right side" : "result";
        throw format_error(source + ": merge " + std::to_string(rank) + ": its " + std::string(missing) +
                           " is not a token of the vocabulary");
      }
      merges_.insert(left, right, static_cast<std::uint32_t>(rank), merged);
    }
  }

  static tokenizer from_hf_json(const nlohmann::json& j, const std::string& file) {
    const nlohmann::json& model = j.at("model");
    if (model.value("type", std::string("BPE")) != "BPE") {
      throw format_error(file + ": model.type is " + model.at("type").dump() + ", expected \"BPE\"");
    }
    if (model.contains("byte_fallback") && model.at("byte_fallback").is_boolean() &&
        model.at("byte_fallback").get<bool>()) {
      throw format_error(file + ": model.byte_fallback is true; byte-level BPE has no byte fallback");
    }
    if (j.contains("normalizer") && !j.at("normalizer").is_null()) {
      throw format_error(file + ": has a normalizer (" + j.at("normalizer").value("type", std::string("?")) +
                         "); the GLM-4 tokenizer has none");
    }
    check_hf_pre_tokenizer(j.contains("pre_tokenizer") ? j.at("pre_tokenizer") : nlohmann::json(), file);

    vocabulary v;
    // The table is sized by the largest id, so an id is checked against the
    // most tokens supported before it sizes anything: a stray 2e9 would
    // otherwise ask for 64 GB of empty strings.
    const auto grow = [&](std::size_t id) {
      if (id >= v.pieces.size()) {
        v.pieces.resize(id + 1);
        v.kinds.resize(id + 1, token_kind::unused);
      }
    };
    const auto id_out_of_range = [](std::int64_t id) {
      return id < 0 || static_cast<std::uint64_t>(id) >= merge_table::max_ids;
    };
    const std::string id_range = "; ids must be in 0.." + std::to_string(merge_table::max_ids - 1);
    for (const auto& [spelled, id_json] : model.at("vocab").items()) {
      if (!id_json.is_number_integer())
        throw format_error(file + ": model.vocab gives \"" + spelled + "\" the id " + id_json.dump() +
                           ", not an integer");
      const auto id = id_json.get<std::int64_t>();
      if (id_out_of_range(id)) {
        throw format_error(file + ": model.vocab gives \"" + spelled + "\" the id " + std::to_string(id) + id_range);
      }
      grow(static_cast<std::size_t>(id));
      v.pieces[id] = spelled_bytes(spelled, static_cast<std::size_t>(id), file);
      v.kinds[id] = token_kind::normal;
    }
    if (j.contains("added_tokens")) {
      for (const nlohmann::json& added : j.at("added_tokens")) {
        if (!added.at("id").is_number_integer())
          throw format_error(file + ": added_tokens gives " + added.at("content").dump() + " the id " +
                             added.at("id").dump() + ", not an integer");
        const auto id = added.at("id").get<std::int64_t>();
        if (id_out_of_range(id)) {
          throw format_error(file + ": added_tokens gives " + added.at("content").dump() + " the id " +
                             std::to_string(id) + id_range);
        }
        grow(static_cast<std::size_t>(id));
        v.pieces[id] = added.at("content").get<std::string>();
        v.kinds[id] = added.value("special", false) ? token_kind::special : token_kind::added;
      }
    }
    for (const nlohmann::json& m : model.at("merges")) {
      // Older files write "left right", newer ones ["left", "right"].
      std::string left;
      std::string right;
      if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const std::size_t space = s.find(' ');
        if (space == std::string::npos) {
          throw format_error(file + ": merge " + m.dump() + " is not \"left right\"");
        }
        left = s.substr(0, space);
        right = s.substr(space + 1);
      } else {
        if (m.size() != 2) throw format_error(file + ": merge " + m.dump() + " is not a pair");
        left = m.at(0).get<std::string>();
        right = m.at(1).get<std::string>();
      }
      const std::size_t rank = v.merges.size();
      v.merges.push_back({spelled_bytes(left, rank, file, "merge"), spelled_bytes(right, rank, file, "merge")});
    }
    v.whole_piece_lookup = model.value("ignore_merges", false);
    return tokenizer(std::move(v), file);
  }

  // The only pre-tokenizer accepted: the GLM-4 Split, then a ByteLevel that
  // only maps bytes (use_regex false).
  static void check_hf_pre_tokenizer(const nlohmann::json& pre, const std::string& file) {
    std::vector<const nlohmann::json*> steps;
    if (pre.is_object() && pre.value("type", std::string()) == "Sequence") {
      for (const nlohmann::json& step : pre.at("pretokenizers")) steps.push_back(&step);
    } else if (pre.is_object()) {
      steps.push_back(&pre);
    }
    bool split = false;
    for (const nlohmann::json* step : steps) {
      const std::string type = step->value("type", std::string());
      if (type == "Split" && step->contains("pattern") && step->at("pattern").contains("Regex") &&
          step->at("pattern").at("Regex").get<std::string>() == glm4_pattern) {
        split = true;
      } else if (type != "ByteLevel" || step->value("use_regex", true)) {
        throw format_error(file + ": unsupported pre_tokenizer step " + step->dump() +
                           "; expected the GLM-4 Split regex and a ByteLevel without regex");
      }
    }
    if (!split) throw format_error(file + ": pre_tokenizer lacks the GLM-4 Split regex");
  }

  static std::string spelled_bytes(const std::string& spelled, std::size_t id, const std::string& source,
                                   std::string_view what = "token") {
    std::optional<std::string> bytes = byte_level::decode(spelled);
    if (!bytes || bytes->empty()) {
      throw format_error(source + ": " + std::string(what) + " " + std::to_string(id) + " \"" + spelled +
                         "\" is not spelled in the byte-level alphabet");
    }
    return std::move(*bytes);
  }

  static std::optional<std::int64_t> parse_rank(std::string_view s) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::int64_t value = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    return value;
  }

  static std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error("cannot open tokenizer file " + path.string());
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error("cannot read tokenizer file " + path.string());
    return data;
  }

  std::string_view bytes_of(std::int32_t id) const {
    return std::string_view(bytes_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
  }

  // The earliest special (or, if !allow, added) token at or after `from`;
  // the longest one where several start at the same byte.
  special_match find_special(std::string_view text, std::size_t from, bool allow) const {
    if (!allow && !any_added_) return {text.size(), 0, -1};
    for (std::size_t pos = from; pos < text.size(); ++pos) {
      if (!first_bytes_[static_cast<std::uint8_t>(text[pos])]) continue;
      for (const special_entry& s : specials_) {
        const std::string_view token = bytes_of(s.id);
        if ((allow || s.always) && text.substr(pos, token.size()) == token) {
          return {pos, token.size(), s.id};
        }
      }
    }
    return {text.size(), 0, -1};
  }

  void encode_ordinary(std::string_view text, bpe_merger& merger, std::vector<std::int32_t>& ids) const {
    glm4_pretokenizer pieces(text);
    for (std::string_view p = pieces.next(); !p.empty(); p = pieces.next()) {
      if (p.size() == 1) {
        ids.push_back(byte_ids_[static_cast<std::uint8_t>(p[0])]);
        continue;
      }
      if (whole_piece_lookup_) {
        const std::int32_t id = index_.find(p, bytes_.data());
        if (id >= 0) {
          ids.push_back(id);
          continue;
        }
      }
      merger.encode(p, ids);
    }
  }

  std::string bytes_;                  // every token's bytes, back to back
  std::vector<std::uint32_t> offsets_;  // token id -> [offsets_[id], offsets_[id + 1])
  std::vector<token_kind> kinds_;
  piece_index index_;  // normal tokens only
  merge_table merges_;
  std::array<std::int32_t, 256> byte_ids_{};
  bool whole_piece_lookup_ = false;
  std::vector<special_entry> specials_;  // longest first
  bool any_added_ = false;
  std::array<bool, 256> first_bytes_{};  // bytes that can start a special or added token
};

}  // namespace glm4
