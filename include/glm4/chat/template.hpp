// Renders a conversation into the prompt text of the GLM-4 chat templates,
// byte for byte what transformers' apply_chat_template produces (jinja with
// trim_blocks and lstrip_blocks, transformers' own tojson; spec C.3). The text
// still holds the special tokens spelled out ("[gMASK]", "<|user|>"): encode it
// with special tokens allowed.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "glm4/chat/message.hpp"
#include "glm4/chat/python_text.hpp"
#include "glm4/core/error.hpp"

namespace glm4::chat {

enum class format {
  // glm-4-9b-chat's tokenizer_config.json chat_template.
  glm4_chat,
  // GLM-Z1-0414: thinking models; the generation prompt opens a <think> block
  // and past assistant turns keep only the text after their last </think>.
  glm_z1,
  // GLM-4-0414 (non-Z1). Its own chat_template.jinja is not in the spec's
  // sources; this is the Z1 template without "\n<think>" in the generation
  // prompt, which the two share everywhere else as far as the sources show.
  glm4_0414,
};

namespace detail {

inline constexpr std::string_view prefix = "[gMASK]<sop>";

inline constexpr std::string_view glm4_chat_tools_header =
    "<|system|>\n"
    "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 "
    "模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n"
    "\n"
    "# 可用工具";

// The 0414 header differs from glm-4-9b-chat's: "智谱 AI 公司训练" (spec C.3).
inline constexpr std::string_view glm_0414_tools_header =
    "<|system|>\n"
    "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱 AI 公司训练的语言模型 GLM-4 "
    "模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n"
    "\n"
    "# 可用工具";

inline constexpr std::string_view function_footer = "\n在调用上述函数时，请使用 Json 格式表示调用的参数。";

// glm-4-9b-chat's built-in tools: each is declared by {"type": NAME} alone and
// described by a fixed text.
inline constexpr std::string_view python_tool =
    "\n"
    "## python\n"
    "\n"
    "当你向 `python` 发送包含 Python 代码的消息时，该代码将会在一个有状态的 Jupyter notebook "
    "环境中执行。\n"
    "`python` 返回代码执行的输出，或在执行 60 秒后返回超时。\n"
    "`/mnt/data` 将会持久化存储你的文件。在此会话中，`python` 无法访问互联网。不要使用 `python` "
    "进行任何网络请求或者在线 API 调用，这些在线内容的访问将不会成功。";

inline constexpr std::string_view simple_browser_tool =
    "\n"
    "## simple_browser\n"
    "\n"
    "你可以使用 `simple_browser` 工具。该工具支持以下函数：\n"
    "`search(query: str, recency_days: int)`：使用搜索引擎进行查询并显示结果，可以使用 "
    "`recency_days` 参数控制搜索内容的时效性。\n"
    "`mclick(ids: list[int])`：获取一系列指定 id "
    "的页面内容。每次调用时，须选择3-10个页面。选择多个角度的页面，同时尽可能选择可信任的信息来源。"
    "考虑到部分页面是无法加载的，你也可以多打开一些可能有用的页面而不用担心内容过多。\n"
    "`open_url(url: str)`：打开指定的 URL。\n"
    "\n"
    "使用 `【{引用 id}†{引用文本}】` 来引用内容。\n"
    "\n"
    "操作步骤：1. 使用 `search` 来获得信息列表; 2. 使用 `mclick` 来获取指定 ID 页面的内容; 3. "
    "根据获得的内容进行回复。在回复中应当引用信息来源。\n"
    " 如果用户提供了 URL，也可以用 `open_url` 直接打开页面。\n"
    "如果初次搜索结果没有找到合适的信息，也可以再次使用 `search` 进行搜索。";

inline constexpr std::string_view cogview_tool =
    "\n"
    "## cogview\n"
    "\n"
    "如果用户的请求中包含了对图像的描述，你可以使用 `cogview` 来生成图像并展示给用户。你需要向 "
    "`cogview` 发送图像描述，规则：\n"
    "- 发送给 `cogview` 的消息必须使用英语。用户的中文描述必须完全翻译为英语。\n"
    "- 应当尽可能详细地描述图像生成的需求，需求描述约 100 英文单词。\n"
    "- 保持用户原始描述的意图。不要虚构内容或者没见过的人物。\n"
    "- 如无特殊说明，所在地为中国，持有中国立场并遵循中国社会主义价值观。";

inline std::string tool_where(std::size_t i) { return "tools[" + std::to_string(i) + "]"; }

// "\n## {name}\n\n{definition as json}\n在调用上述函数时..." — the block both
// template families write for a function.
inline void append_function(std::string& out, const nlohmann::ordered_json& function,
                            std::size_t i) {
  const auto name = function.find("name");
  if (!function.is_object() || name == function.end() || !name->is_string())
    // Replacing invalid UTF-8: a dump that threw would lose this message.
    throw invalid_argument("glm4::chat::render: " + tool_where(i) + " has no string \"name\"; got " +
                           function.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  out += "\n## ";
  out += name->get_ref<const std::string&>();
  out += "\n\n";
  out += python_tojson_indent4(function, tool_where(i));
  out += function_footer;
}

// The template only knows these four kinds and would silently drop any other
// tool; a dropped tool is a bug the caller never sees, so it is refused.
inline void append_glm4_chat_tool(std::string& out, const nlohmann::ordered_json& tool,
                                  std::size_t i) {
  const auto type = tool.is_object() ? tool.find("type") : tool.end();
  const std::string kind = type != tool.end() && type->is_string() ? type->get<std::string>() : "";
  if (kind == "function") {
    const auto function = tool.find("function");
    if (function == tool.end())
      throw invalid_argument("glm4::chat::render: " + tool_where(i) +
                             " has type \"function\" but no \"function\" definition");
    append_function(out, *function, i);
  } else if (kind == "python") {
    out += python_tool;
  } else if (kind == "simple_browser") {
    out += simple_browser_tool;
  } else if (kind == "cogview") {
    out += cogview_tool;
  } else {
    throw invalid_argument("glm4::chat::render: " + tool_where(i) +
                           " has type \"" + kind +
                           "\"; glm-4-9b-chat knows function, python, simple_browser, cogview");
  }
}

// Jinja truthiness of a JSON value, for the Z1 template's
// `tool.function if tool.get("function") else tool`.
inline bool truthy(const nlohmann::ordered_json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

inline void check_role(const message& m, std::size_t i) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "observation")
    throw invalid_argument("glm4::chat::render: messages[" + std::to_string(i) + "] has role \"" +
                           m.role + "\"; GLM-4 knows system, user, assistant, observation");
}

// glm-4-9b-chat declares tools on the message that carries them ("tools" key)
// and writes the tools block where that message stands. Here tools are given
// once for the conversation and the block comes first, which is exactly what
// the template writes when they ride on a leading system message (the block
// precedes that message's own "<|system|>" turn).
inline std::string render_glm4_chat(std::span<const message> messages,
                                    std::span<const nlohmann::ordered_json> tools,
                                    bool add_generation_prompt) {
  std::string out(prefix);
  if (!tools.empty()) {
    out += glm4_chat_tools_header;
    for (std::size_t i = 0; i < tools.size(); ++i) append_glm4_chat_tool(out, tools[i], i);
  }
  for (const message& m : messages) {
    // `{% if item['content'] %}`: a turn with empty content is left out whole.
    if (m.content.empty()) continue;
    out += "<|" + m.role + "|>";
    out += m.metadata;
    out += '\n';
    out += m.content;
  }
  if (add_generation_prompt) out += "<|assistant|>";
  return out;
}

// GLM-Z1-0414's template: tools block, then every system message (hoisted
// ahead of the others, content kept verbatim), then the other turns with any
// thinking dropped.
inline std::string render_glm_0414(std::span<const message> messages,
                                   std::span<const nlohmann::ordered_json> tools,
                                   bool add_generation_prompt, bool thinking) {
  std::string out(prefix);
  if (!tools.empty()) {
    out += glm_0414_tools_header;
    for (std::size_t i = 0; i < tools.size(); ++i) {
      const nlohmann::ordered_json& tool = tools[i];
      const auto function = tool.is_object() ? tool.find("function") : tool.end();
      append_function(out, function != tool.end() && truthy(*function) ? *function : tool, i);
    }
  }
  for (const message& m : messages) {
    if (m.role != "system") continue;
    out += "<|system|>\n";
    out += m.content;
  }
  for (const message& m : messages) {
    if (m.role == "system") continue;
    const std::size_t think_end = m.content.rfind("</think>");
    const std::string_view visible = python_strip(
        think_end == std::string::npos ? std::string_view(m.content)
                                       : std::string_view(m.content).substr(think_end + 8));
    out += "<|" + m.role + "|>";
    // Only an assistant turn carries its metadata (the tool it called).
    if (m.role == "assistant") out += m.metadata;
    out += '\n';
    out += visible;
  }
  if (add_generation_prompt) out += thinking ? "<|assistant|>\n<think>" : "<|assistant|>";
  return out;
}

}  // namespace detail

// The prompt for `messages` with `tools` declared, in `fmt`'s template; with
// add_generation_prompt it ends by opening the assistant's turn. A tool is an
// OpenAI-style {"type": "function", "function": {"name": ..., ...}}; glm4_chat
// also takes {"type": "python"}, {"type": "simple_browser"}, {"type":
// "cogview"}, and the 0414 formats also take a bare function definition.
// Throws invalid_argument for an unknown role or a tool the template cannot
// write, text_error for a tool definition that is not valid UTF-8.
inline std::string render(std::span<const message> messages,
                          std::span<const nlohmann::ordered_json> tools, format fmt,
                          bool add_generation_prompt) {
  for (std::size_t i = 0; i < messages.size(); ++i) detail::check_role(messages[i], i);
  switch (fmt) {
    case format::glm4_chat:
      return detail::render_glm4_chat(messages, tools, add_generation_prompt);
    case format::glm_z1:
      return detail::render_glm_0414(messages, tools, add_generation_prompt, true);
    case format::glm4_0414:
      return detail::render_glm_0414(messages, tools, add_generation_prompt, false);
  }
  throw invalid_argument("glm4::chat::render: unknown format " +
                         std::to_string(static_cast<int>(fmt)));
}

}  // namespace glm4::chat
