// chat::render on conversations built from the input: roles (the four GLM-4
// knows and arbitrary ones), contents, tool-call metadata, and tool
// definitions, either parsed from JSON text or built with arbitrary (possibly
// not UTF-8) strings, as a library caller can. For every format the result is
// a prompt, beginning with "[gMASK]<sop>" and, when asked for, ending with the
// generation prompt, or a glm4::error; any other exception is a finding.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/chat/template.hpp"
#include "glm4/core/error.hpp"

namespace {

namespace chat = glm4::chat;
using json = nlohmann::ordered_json;

std::string role_from(FuzzedDataProvider& input) {
  constexpr const char* known[] = {"system", "user", "assistant", "observation"};
  const auto pick = input.ConsumeIntegralInRange<std::size_t>(0, std::size(known));
  return pick < std::size(known) ? known[pick] : input.ConsumeRandomLengthString(12);
}

// A value for a tool definition: JSON text from the input, or a raw string.
json value_from(FuzzedDataProvider& input) {
  std::string text = input.ConsumeRandomLengthString(256);
  if (input.ConsumeBool()) {
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  return text;
}

// A whole JSON value; an OpenAI tool {"type", "function": {...}} with any part
// missing or fuzzed; or its bare function definition, which the 0414 formats take.
json tool_from(FuzzedDataProvider& input) {
  if (input.ConsumeBool()) return value_from(input);
  constexpr const char* kinds[] = {"function", "python", "simple_browser", "cogview"};
  json function = json::object();
  if (input.ConsumeBool()) function["name"] = input.ConsumeBool() ? value_from(input) : json(input.ConsumeRandomLengthString(16));
  if (input.ConsumeBool()) function["description"] = value_from(input);
  if (input.ConsumeBool()) function["parameters"] = value_from(input);
  json tool = json::object();
  tool["type"] = input.ConsumeBool() ? json(kinds[input.ConsumeIntegralInRange<std::size_t>(0, 3)]) : value_from(input);
  if (input.ConsumeBool()) tool["function"] = std::move(function);
  return input.ConsumeBool() ? tool : tool.value("function", json::object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  std::vector<chat::message> messages(input.ConsumeIntegralInRange(0, 6));
  for (chat::message& m : messages) {
    m.role = role_from(input);
    m.metadata = input.ConsumeBool() ? input.ConsumeRandomLengthString(16) : "";
    m.content = input.ConsumeRandomLengthString(256);
  }
  std::vector<json> tools(input.ConsumeIntegralInRange(0, 3));
  for (json& tool : tools) tool = tool_from(input);
  const bool add_generation_prompt = input.ConsumeBool();

  for (const auto [fmt, generation_prompt] : {std::pair{chat::format::glm4_chat, "<|assistant|>"},
                                              std::pair{chat::format::glm_z1, "<|assistant|>\n<think>"},
                                              std::pair{chat::format::glm4_0414, "<|assistant|>"}}) {
    std::string prompt;
    try {
      prompt = chat::render(messages, tools, fmt, add_generation_prompt);
    } catch (const glm4::error&) {
      continue;
    }
    if (!prompt.starts_with("[gMASK]<sop>")) __builtin_trap();
    if (add_generation_prompt && !prompt.ends_with(generation_prompt)) __builtin_trap();
  }
  return 0;
}
