// A SentencePiece .model file (a serialized sentencepiece.ModelProto), read
// by hand from the protobuf wire format: the library is header-only and
// needs three messages of sentencepiece_model.proto, not a protobuf runtime.
//
// Only the fields that change how text is tokenized are kept (field numbers
// from sentencepiece_model.proto; everything else is skipped by wire type):
//   ModelProto       1 pieces, 2 trainer_spec, 3 normalizer_spec, 5 denormalizer_spec
//   SentencePiece    1 piece, 2 score, 3 type
//   TrainerSpec      3 model_type, 24 treat_whitespace_as_suffix, 35 byte_fallback,
//                    44 unk_surface, 45..48 unk/bos/eos/pad piece
//   NormalizerSpec   1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
//                    4 remove_extra_whitespaces, 5 escape_whitespaces
// The trainer's unk_id/bos_id/... are not read: SentencePiece itself finds
// those ids by looking the pieces up.
//
// Every length is checked against the enclosing message before it is used;
// a truncated or inconsistent file is a format_error naming the file and the
// byte offset. Repeated occurrences follow protobuf: a scalar's last value
// wins, a message field merges, a repeated field appends (GLM-130B's tooling
// configures ice_text.model by appending pieces, see icetk.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"

namespace glm4 {

struct sentencepiece_model {
  // ModelProto.SentencePiece.Type.
  enum class piece_type : std::uint8_t {
    normal = 1,
    unknown = 2,       // <unk>, exactly one
    control = 3,       // <s>, </s>: never produced from text, decoded to nothing
    user_defined = 4,  // always taken whole from the text, before normalization
    unused = 5,
    byte = 6,  // <0xNN>, with byte_fallback
  };

  // TrainerSpec.ModelType.
  enum class algorithm : std::uint8_t { unigram = 1, bpe = 2, word = 3, character = 4 };

  struct piece {
    std::string text;
    float score = 0.0f;
    piece_type type = piece_type::normal;
  };

  // NormalizerSpec, with proto2's defaults.
  struct normalizer_spec {
    std::string name;
    std::string precompiled_charsmap;  // empty: no character rules
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
    bool escape_whitespaces = true;
  };

  std::string source;  // the file, for messages
  std::vector<piece> pieces;
  algorithm model_type = algorithm::unigram;
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  // Empty means SentencePiece's default ("<unk>", "<s>", "</s>", "<pad>").
  std::string unk_piece;
  std::string bos_piece;
  std::string eos_piece;
  std::string pad_piece;
  std::optional<std::string> unk_surface;  // what <unk> decodes to; " \u2047 " when unset
  normalizer_spec normalizer;
  std::optional<normalizer_spec> denormalizer;  // applied to decoded text, when present

  static sentencepiece_model read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error("cannot open SentencePiece model " + path.string());
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error("cannot read SentencePiece model " + path.string());
    return parse(bytes, path.string());
  }

  // `source` names the bytes in error messages.
  static sentencepiece_model parse(std::string_view bytes, std::string source) {
    sentencepiece_model m;
    m.source = std::move(source);
    reader r(bytes, 0, bytes.size(), m.source);
    for (field f; r.next(f);) {
      switch (f.number) {
        case 1: {
          reader sub = r.message(f, "ModelProto.pieces");
          m.pieces.push_back(read_piece(sub, m.pieces.size()));
          break;
        }
        case 2: {
          reader sub = r.message(f, "ModelProto.trainer_spec");
          read_trainer_spec(sub, m);
          break;
        }
        case 3: {
          reader sub = r.message(f, "ModelProto.normalizer_spec");
          read_normalizer_spec(sub, m.normalizer);
          break;
        }
        case 5: {
          reader sub = r.message(f, "ModelProto.denormalizer_spec");
          // Not emplace(): Clang before 16 sees a nested struct with member
          // initializers as not default-constructible inside its enclosing class.
          if (!m.denormalizer) m.denormalizer = normalizer_spec{};
          read_normalizer_spec(sub, *m.denormalizer);
          break;
        }
        default:
          r.skip(f);
      }
    }
    if (m.pieces.empty()) {
      throw format_error(m.source + ": no pieces; " +
                         (bytes.empty() ? "the file is empty" : "not a SentencePiece model"));
    }
    return m;
  }

 private:
  enum class wire : std::uint8_t {
    varint = 0,
    fixed64 = 1,
    length_delimited = 2,
    group_start = 3,
    group_end = 4,
    fixed32 = 5
  };

  struct field {
    std::uint32_t number = 0;
    wire type = wire::varint;
    std::size_t offset = 0;  // of the tag, in the whole file
  };

  // One message: the bytes [pos_, end_) of the file.
  class reader {
   public:
    reader(std::string_view file, std::size_t begin, std::size_t end, const std::string& source)
        : file_(file), pos_(begin), end_(end), source_(source) {}

    // Reads the next tag; false at the end of the message.
    bool next(field& f) {
      if (pos_ == end_) return false;
      f.offset = pos_;
      const std::uint64_t tag = varint();
      const std::uint64_t type = tag & 7;
      f.number = static_cast<std::uint32_t>(tag >> 3);
      if (type > 5) fail(f.offset, "a tag with the invalid wire type " + std::to_string(type));
      if (f.number == 0 || (tag >> 3) > 0x1FFFFFFF) {
        fail(f.offset, "a tag with the invalid field number " + std::to_string(tag >> 3));
      }
      f.type = static_cast<wire>(type);
      if (f.type == wire::group_end) fail(f.offset, "a group end without its start");
      return true;
    }

    std::uint64_t varint() {
      const std::size_t start = pos_;
      std::uint64_t value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ == end_) fail(start, "a varint cut off by the end of its message at offset " + std::to_string(end_));
        const auto byte = static_cast<std::uint8_t>(file_[pos_++]);
        value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) return value;
      }
      fail(start, "a varint longer than 10 bytes");
    }

    // A length-delimited field's bytes, as [begin, end) of the file.
    std::pair<std::size_t, std::size_t> span(const field& f, std::string_view what) {
      expect(f, wire::length_delimited, what);
      const std::uint64_t length = varint();
      if (length > end_ - pos_) {
        fail(f.offset, std::string(what) + " claims " + std::to_string(length) + " bytes but its message has " +
                           std::to_string(end_ - pos_) + " left");
      }
      const std::size_t begin = pos_;
      pos_ += static_cast<std::size_t>(length);
      return {begin, pos_};
    }

    reader message(const field& f, std::string_view what) {
      const auto [begin, end] = span(f, what);
      return reader(file_, begin, end, source_);
    }

    std::string string(const field& f, std::string_view what) {
      const auto [begin, end] = span(f, what);
      return std::string(file_.substr(begin, end - begin));
    }

    std::int64_t integer(const field& f, std::string_view what) {
      expect(f, wire::varint, what);
      return static_cast<std::int64_t>(varint());
    }

    bool boolean(const field& f, std::string_view what) { return integer(f, what) != 0; }

    float fixed32_float(const field& f, std::string_view what) {
      expect(f, wire::fixed32, what);
      const std::uint32_t bits = fixed(4, f.offset);
      float value;
      std::memcpy(&value, &bits, sizeof value);
      return value;
    }

    // Skips a field of any wire type, groups (nested ones too) included.
    void skip(const field& f) {
      std::vector<std::uint32_t> open_groups;
      field current = f;
      while (true) {
        switch (current.type) {
          case wire::varint:
            varint();
            break;
          case wire::fixed64:
            fixed(8, current.offset);
            break;
          case wire::fixed32:
            fixed(4, current.offset);
            break;
          case wire::length_delimited:
            span(current, "a length-delimited field");
            break;
          case wire::group_start:
            open_groups.push_back(current.number);
            break;
          case wire::group_end:
            break;  // handled below
        }
        if (open_groups.empty()) return;
        // Inside a group: read its fields until the matching end.
        if (pos_ == end_) fail(current.offset, "a group left open at the end of its message");
        current.offset = pos_;
        const std::uint64_t tag = varint();
        current.number = static_cast<std::uint32_t>(tag >> 3);
        if ((tag & 7) > 5 || current.number == 0) fail(current.offset, "an invalid tag inside a group");
        current.type = static_cast<wire>(tag & 7);
        if (current.type == wire::group_end) {
          if (current.number != open_groups.back()) fail(current.offset, "a group end that does not match its start");
          open_groups.pop_back();
          if (open_groups.empty()) return;
        }
      }
    }

    [[noreturn]] void fail(std::size_t offset, const std::string& problem) const {
      throw format_error(source_ + ": offset " + std::to_string(offset) + ": " + problem);
    }

   private:
    void expect(const field& f, wire type, std::string_view what) const {
      if (f.type != type) {
        fail(f.offset, std::string(what) + " (field " + std::to_string(f.number) + ") has wire type " +
                           std::to_string(static_cast<int>(f.type)) + ", expected " +
                           std::to_string(static_cast<int>(type)));
      }
    }

    std::uint32_t fixed(std::size_t bytes, std::size_t tag_offset) {
      if (end_ - pos_ < bytes) {
        fail(tag_offset, "a " + std::to_string(bytes * 8) + "-bit field cut off by the end of its message");
      }
      std::uint32_t value = 0;  // little-endian; only 32-bit values are kept
      for (std::size_t i = 0; i < 4 && i < bytes; ++i) {
        value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(file_[pos_ + i])) << (8 * i);
      }
      pos_ += bytes;
      return value;
    }

    std::string_view file_;
    std::size_t pos_;
    std::size_t end_;
    const std::string& source_;
  };

  static piece read_piece(reader& r, std::size_t index) {
    piece p;
    for (field f; r.next(f);) {
      switch (f.number) {
        case 1:
          p.text = r.string(f, "SentencePiece.piece");
          break;
        case 2:
          p.score = r.fixed32_float(f, "SentencePiece.score");
          break;
        case 3: {
          const std::int64_t type = r.integer(f, "SentencePiece.type");
          if (type < 1 || type > 6) {
            r.fail(f.offset, "piece " + std::to_string(index) + " has type " + std::to_string(type) +
                                 "; SentencePiece types are 1..6");
          }
          p.type = static_cast<piece_type>(type);
          break;
        }
        default:
          r.skip(f);
      }
    }
    return p;
  }

  static void read_trainer_spec(reader& r, sentencepiece_model& m) {
    for (field f; r.next(f);) {
      switch (f.number) {
        case 3: {
          const std::int64_t type = r.integer(f, "TrainerSpec.model_type");
          if (type < 1 || type > 4) {
            r.fail(f.offset,
                   "model_type " + std::to_string(type) + " is not one of UNIGRAM (1), BPE (2), WORD (3), CHAR (4)");
          }
          m.model_type = static_cast<algorithm>(type);
          break;
        }
        case 24:
          m.treat_whitespace_as_suffix = r.boolean(f, "TrainerSpec.treat_whitespace_as_suffix");
          break;
        case 35:
          m.byte_fallback = r.boolean(f, "TrainerSpec.byte_fallback");
          break;
        case 44:
          m.unk_surface = r.string(f, "TrainerSpec.unk_surface");
          break;
        case 45:
          m.unk_piece = r.string(f, "TrainerSpec.unk_piece");
          break;
        case 46:
          m.bos_piece = r.string(f, "TrainerSpec.bos_piece");
          break;
        case 47:
          m.eos_piece = r.string(f, "TrainerSpec.eos_piece");
          break;
        case 48:
          m.pad_piece = r.string(f, "TrainerSpec.pad_piece");
          break;
        default:
          r.skip(f);
      }
    }
  }

  static void read_normalizer_spec(reader& r, normalizer_spec& spec) {
    for (field f; r.next(f);) {
      switch (f.number) {
        case 1:
          spec.name = r.string(f, "NormalizerSpec.name");
          break;
        case 2:
          spec.precompiled_charsmap = r.string(f, "NormalizerSpec.precompiled_charsmap");
          break;
        case 3:
          spec.add_dummy_prefix = r.boolean(f, "NormalizerSpec.add_dummy_prefix");
          break;
        case 4:
          spec.remove_extra_whitespaces = r.boolean(f, "NormalizerSpec.remove_extra_whitespaces");
          break;
        case 5:
          spec.escape_whitespaces = r.boolean(f, "NormalizerSpec.escape_whitespaces");
          break;
        default:
          r.skip(f);
      }
    }
  }
};

}  // namespace glm4
