// The tokenizer from wherever a model keeps it: the vocabulary inside a GGUF
// file, or a checkpoint folder's tokenizer.json (GLM-4-0414, GLM-Z1) or
// tokenizer.model (glm-4-9b-chat's tiktoken file).
#pragma once

#include <filesystem>

#include "glm4/core/error.hpp"
#include "glm4/tokenizer/from_gguf.hpp"
#include "glm4/tokenizer/tokenizer.hpp"

namespace glm4 {

inline tokenizer open_tokenizer(const std::filesystem::path& model_path) {
  if (std::filesystem::is_regular_file(model_path)) return tokenizer_from_gguf(model_path);
  if (std::filesystem::exists(model_path / "tokenizer.json"))
    return tokenizer::from_hf_json(model_path / "tokenizer.json");
  if (std::filesystem::exists(model_path / "tokenizer.model"))
    return tokenizer::from_tiktoken(model_path / "tokenizer.model");
  throw io_error(model_path.string() + " has no tokenizer.json or tokenizer.model");
}

}  // namespace glm4
