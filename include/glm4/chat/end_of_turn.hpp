// The ids that end an assistant turn in a given vocabulary: <|endoftext|>,
// <|user|>, <|observation|> (config/stop_ids.hpp has their numbers in the
// released models), looked up by name, since a model with another vocabulary
// (the small test models) numbers them differently.
#pragma once

#include <cstdint>
#include <vector>

#include "glm4/tokenizer/tokenizer.hpp"

namespace glm4::chat {

inline std::vector<std::int32_t> end_of_turn_ids(const tokenizer& tok) {
  std::vector<std::int32_t> ids;
  for (const char* name : {"<|endoftext|>", "<|user|>", "<|observation|>"})
    if (const auto id = tok.token_id(name)) ids.push_back(*id);
  return ids;
}

}  // namespace glm4::chat
