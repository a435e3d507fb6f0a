// The tokenizer from wherever a model keeps it: the vocabulary inside a GGUF
// file, or a checkpoint folder's tokenizer.json (GLM-4-0414, GLM-Z1) or
// tokenizer.model (glm-4-9b-chat's tiktoken file); for GLM-130B, icetk's
// ice_text.model in its folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "glm4/core/error.hpp"
#include "glm4/tokenizer/from_gguf.hpp"
#include "glm4/tokenizer/icetk.hpp"
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

// The icetk options an `icetk.json` states (a missing file: icetk's own):
//   {"text_offset": 20000, "commands": {"[MASK]": 150000, "sop": 150004, ...}}
// ("commands", when given, is the whole table: [MASK], [sMASK], [gMASK],
// sop, eop and eos are what blank filling needs).
inline icetk_options read_icetk_options(const std::filesystem::path& config) {
  icetk_options options;
  if (!std::filesystem::exists(config)) return options;
  std::ifstream in(config);
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&](const std::string& what) { return format_error(config.string() + ": " + what); };
  const auto id_of = [&](const nlohmann::json& v, const std::string& what) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > INT32_MAX)
      throw bad(what + " is not a token id");
    return static_cast<std::int32_t>(v.get<std::int64_t>());
  };
  if (!j.is_object()) throw bad("not a JSON object");
  if (j.contains("text_offset")) options.text_offset = id_of(j["text_offset"], "text_offset");
  if (j.contains("commands")) {
    if (!j["commands"].is_object()) throw bad("commands is not an object of name: id");
    options.commands.clear();
    for (const auto& [name, id] : j["commands"].items()) options.commands[name] = id_of(id, "command \"" + name + "\"");
  }
  return options;
}

// GLM-130B's tokenizer: in a folder, `ice_text.model` (icetk downloads it to
// ~/.icetk_models; copy it beside the checkpoint) with the options of an
// `icetk.json` beside it; in a GGUF file (arch glm130b), what
// convert::export_gguf wrote of them (tokenizer.icetk.*).
inline icetk_tokenizer open_icetk(const std::filesystem::path& path) {
  if (std::filesystem::is_regular_file(path)) {
    const auto file = io::gguf_file::open(path);
    const auto where = [&](std::string_view key) { return path.string() + ": " + std::string(key); };
    if (file->get_optional<std::string>("tokenizer.ggml.model").value_or("") != "icetk")
      throw format_error(where("tokenizer.ggml.model") + " is not \"icetk\" (not a GLM-130B file)");
    const auto& bytes = file->get_array<std::uint8_t>("tokenizer.icetk.model");
    icetk_options options;
    const std::uint32_t text_offset = file->get<std::uint32_t>("tokenizer.icetk.text_offset");
    if (text_offset > INT32_MAX)
      throw format_error(where("tokenizer.icetk.text_offset") + " is " + std::to_string(text_offset) +
                         ", past the largest token id " + std::to_string(INT32_MAX));
    options.text_offset = static_cast<std::int32_t>(text_offset);
    const auto& names = file->get_array<std::string>("tokenizer.icetk.command_names");
    const auto& ids = file->get_array<std::int32_t>("tokenizer.icetk.command_ids");
    if (names.size() != ids.size())
      throw format_error(where("tokenizer.icetk.command_names") + " and command_ids differ in length");
    options.commands.clear();
    for (std::size_t i = 0; i < names.size(); ++i) options.commands[names[i]] = ids[i];
    return icetk_tokenizer(
        sentencepiece_model::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                   path.string() + " tokenizer.icetk.model"),
        std::move(options));
  }
  const auto model = path / "ice_text.model";
  if (!std::filesystem::is_regular_file(model))
    throw io_error(path.string() + " has no ice_text.model (GLM-130B's icetk tokenizer)");
  return icetk_tokenizer::open(model, read_icetk_options(path / "icetk.json"));
}

}  // namespace glm4
