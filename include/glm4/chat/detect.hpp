// Which chat format fits a model file, and the formats by name.
//
// The architecture tells glm-4-9b-chat (THUDM `chatglm` layout, HF `glm`)
// from the 0414 generation (`glm4`); a Z1 (thinking) model has the 0414
// shape and is told apart by its chat template, which opens a <think> block,
// or failing that by its name.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "glm4/chat/template.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/gguf.hpp"

namespace glm4::chat {

constexpr std::string_view to_string(format f) {
  switch (f) {
    case format::glm4_chat: return "glm4_chat";
    case format::glm_z1: return "glm_z1";
    case format::glm4_0414: return "glm4_0414";
  }
  return "?";
}

inline std::optional<format> parse_format(std::string_view name) {
  for (const format f : {format::glm4_chat, format::glm_z1, format::glm4_0414})
    if (to_string(f) == name) return f;
  return std::nullopt;
}

namespace detail {

inline bool contains_z1(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.find("z1") != std::string::npos;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline format format_for(std::string_view architecture, std::string_view chat_template, const std::string& name) {
  if (architecture == "chatglm" || architecture == "glm") return format::glm4_chat;
  if (chat_template.find("<think>") != std::string_view::npos) return format::glm_z1;
  if (chat_template.empty() && contains_z1(name)) return format::glm_z1;
  return format::glm4_0414;
}

}  // namespace detail

// The format for a GGUF file or a Hugging Face folder.
inline format detect_format(const std::filesystem::path& model_path) {
  if (std::filesystem::is_regular_file(model_path)) {
    const auto file = io::gguf_file::open(model_path);
    return detail::format_for(file->architecture(),
                              file->get_optional<std::string>("tokenizer.chat_template").value_or(""),
                              file->get_optional<std::string>("general.name").value_or(model_path.stem().string()));
  }
  std::string architecture, chat_template;
  if (const auto config = model_path / "config.json"; std::filesystem::exists(config)) {
    const auto j = nlohmann::json::parse(detail::read_text(config), nullptr, false);
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string()) architecture = j["model_type"];
  }
  if (const auto jinja = model_path / "chat_template.jinja"; std::filesystem::exists(jinja))
    chat_template = detail::read_text(jinja);
  else if (const auto tc = model_path / "tokenizer_config.json"; std::filesystem::exists(tc)) {
    const auto j = nlohmann::json::parse(detail::read_text(tc), nullptr, false);
    if (j.is_object() && j.contains("chat_template") && j["chat_template"].is_string()) chat_template = j["chat_template"];
  }
  const auto name = std::filesystem::weakly_canonical(model_path).filename().string();
  return detail::format_for(architecture, chat_template, name);
}

}  // namespace glm4::chat
