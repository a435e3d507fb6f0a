// The two lookups BPE makes for every piece of text: token bytes -> id, and
// (left id, right id) -> the merge that joins them. Both are open-addressing
// tables with linear probing over flat arrays: a probe is one or two cache
// lines, where a node-based std::unordered_map costs a pointer chase each.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace glm4 {

// Not `detail`: after a header that opens glm4::GLM4_TARGET::detail (the
// model's), reopening glm4::detail here is ambiguous (server/completion.hpp).
namespace vocab_detail {

inline std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  return h;
}

inline std::uint64_t hash_bytes(std::string_view s) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull * (s.size() + 1);
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  if (n != 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
  }
  return mix(h);
}

// Smallest power of two holding n entries at most half full.
inline std::size_t table_size(std::size_t n) { return std::bit_ceil(std::max<std::size_t>(2 * n, 16)); }

}  // namespace vocab_detail

// Token bytes -> id. The keys live in the caller's byte arena; a slot keeps
// a hash tag, the id and the key's place in the arena, so a probe touches
// only the slot and, when the tag matches, the key bytes.
class piece_index {
 public:
  piece_index() = default;
  explicit piece_index(std::size_t capacity) : slots_(vocab_detail::table_size(capacity)) {
    mask_ = slots_.size() - 1;
  }

  // Adds `id`, whose bytes are arena[offset, offset + length), unless those
  // bytes are already indexed (then returns false and keeps the first id).
  // At most `capacity` ids may be added.
  bool insert(std::int32_t id, const char* arena, std::uint32_t offset, std::uint32_t length) {
    const std::string_view key(arena + offset, length);
    const std::uint64_t h = vocab_detail::hash_bytes(key);
    std::size_t i = h & mask_;
    for (; slots_[i].id != empty; i = (i + 1) & mask_) {
      if (matches(slots_[i], key, tag(h), arena)) return false;
    }
    slots_[i] = {tag(h), id, offset, length};
    return true;
  }

  // The id of `key`, or -1.
  std::int32_t find(std::string_view key, const char* arena) const {
    if (slots_.empty()) return -1;
    const std::uint64_t h = vocab_detail::hash_bytes(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.id == empty) return -1;
      if (matches(s, key, tag(h), arena)) return s.id;
    }
  }

 private:
  static constexpr std::int32_t empty = -1;
  struct slot {
    std::uint32_t tag = 0;
    std::int32_t id = empty;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  // The high bits: the low ones already chose the slot.
  static std::uint32_t tag(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 32); }
  static bool matches(const slot& s, std::string_view key, std::uint32_t tag, const char* arena) {
    return s.tag == tag && s.length == key.size() && std::memcmp(arena + s.offset, key.data(), key.size()) == 0;
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
};

// (left, right) -> rank -> merged id. Lower rank merges first. A slot is one
// 64-bit word (21-bit left id, 21-bit right id, 22-bit rank), half the size
// of an unpacked one: the merge loop is bound by these lookups' cache misses.
class merge_table {
 public:
  static constexpr std::uint32_t id_bits = 21;
  static constexpr std::uint32_t rank_bits = 22;
  static constexpr std::size_t max_ids = std::size_t{1} << id_bits;
  static constexpr std::uint32_t none = (1u << rank_bits) - 1;  // "no merge", also the empty slot
  static constexpr std::size_t max_merges = none;

  merge_table() = default;
  explicit merge_table(std::size_t capacity) : slots_(vocab_detail::table_size(capacity), empty) {
    mask_ = slots_.size() - 1;
  }

  // Adds a merge unless the pair already has one (then returns false and
  // keeps the first). Ids must be below max_ids, ranks below max_merges, and
  // at most `capacity` pairs may be added.
  bool insert(std::int32_t left, std::int32_t right, std::uint32_t rank, std::int32_t merged) {
    const std::uint64_t pair = pair_key(left, right);
    std::size_t i = vocab_detail::mix(pair) & mask_;
    for (; slots_[i] != empty; i = (i + 1) & mask_) {
      if (slots_[i] >> rank_bits == pair) return false;
    }
    slots_[i] = (pair << rank_bits) | rank;
    if (results_.size() <= rank) results_.resize(rank + 1, -1);
    results_[rank] = merged;
    return true;
  }

  // The rank at which `left` and `right` merge, or `none`.
  std::uint32_t rank(std::int32_t left, std::int32_t right) const {
    if (slots_.empty()) return none;
    const std::uint64_t pair = pair_key(left, right);
    for (std::size_t i = vocab_detail::mix(pair) & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s >> rank_bits == pair) return static_cast<std::uint32_t>(s) & none;
      if (s == empty) return none;
    }
  }

  // The token a merge of this rank makes.
  std::int32_t merged(std::uint32_t rank) const { return results_[rank]; }

 private:
  static constexpr std::uint64_t empty = ~std::uint64_t{0};
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(left) << id_bits) | static_cast<std::uint64_t>(right);
  }
  std::vector<std::uint64_t> slots_;
  std::vector<std::int32_t> results_;  // by rank
  std::size_t mask_ = 0;
};

}  // namespace glm4
