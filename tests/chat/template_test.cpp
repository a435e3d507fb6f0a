// The renderer against the real templates: glm-4-9b-chat's ten reference
// renders, jinja renders of the extra cases and of the 0414 templates
// (tests/data/chat/make_template_cases.py), and hand-written expectations for
// the rules that matter most.
#define BOOST_TEST_MODULE chat_template
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/chat/template.hpp"

namespace chat = glm4::chat;
using json = nlohmann::ordered_json;

namespace {

json load(const std::string& name) {
  const std::string path = std::string(GLM4_TEST_DATA_DIR) + "/chat/" + name;
  std::ifstream in(path);
  BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
  return json::parse(in);
}

std::vector<chat::message> messages_of(const json& render) {
  std::vector<chat::message> out;
  for (const json& m : render.at("messages"))
    out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>(),
                   m.value("metadata", std::string())});
  return out;
}

// The reference files put glm-4-9b-chat's tools on the message carrying them;
// the API takes them once per conversation.
std::vector<json> tools_of(const json& render) {
  std::vector<json> out;
  if (render.contains("tools"))
    for (const json& t : render.at("tools")) out.push_back(t);
  for (const json& m : render.at("messages"))
    if (m.contains("tools"))
      for (const json& t : m.at("tools")) out.push_back(t);
  return out;
}

chat::format format_of(const json& render) {
  const std::string f = render.value("format", std::string("glm4_chat"));
  if (f == "glm_z1") return chat::format::glm_z1;
  if (f == "glm4_0414") return chat::format::glm4_0414;
  BOOST_TEST_REQUIRE(f == "glm4_chat", "unknown format in test data: " << f);
  return chat::format::glm4_chat;
}

void check_renders(const json& file, std::size_t expected_count) {
  BOOST_TEST_REQUIRE(file.at("renders").size() == expected_count);
  for (const json& r : file.at("renders")) {
    const auto messages = messages_of(r);
    const auto tools = tools_of(r);
    const bool agp = r.at("add_generation_prompt").get<bool>();
    const std::string got = chat::render(messages, tools, format_of(r), agp);
    const std::string want = r.at("text").get<std::string>();
    BOOST_TEST(got == want, "case '" << r.at("name").get<std::string>() << "' "
                                     << r.value("format", std::string("glm4_chat"))
                                     << " add_generation_prompt=" << agp
                                     << " renders differently from the template.\n got: " << got
                                     << "\nwant: " << want);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(glm4_9b_chat_reference_renders_are_reproduced_byte_exactly) {
  check_renders(load("glm4_9b_chat_template_cases.json"), 10);
}

BOOST_AUTO_TEST_CASE(glm4_9b_chat_tool_kinds_and_tojson_escaping_match_jinja) {
  check_renders(load("glm4_9b_chat_extra_template_cases.json"), 4);
}

BOOST_AUTO_TEST_CASE(glm_0414_templates_match_jinja) {
  check_renders(load("glm_0414_template_cases.json"), 12);
}

// Hand-derived from the Z1 template in spec C.3 (with jinja's trim_blocks the
// newline after each block tag disappears, so a system turn is
// "<|system|>\n..." with no newline before it).
BOOST_AUTO_TEST_CASE(z1_hoists_system_turns_drops_history_thinking_and_opens_think) {
  const std::vector<chat::message> messages{
      {"user", "Hi", ""},
      {"assistant", "<think>greet back</think>\n\nHello!\u3000", ""},
      {"system", "  Be kind.  ", ""},
      {"user", "Bye", ""},
  };
  BOOST_TEST(chat::render(messages, {}, chat::format::glm_z1, true) ==
             "[gMASK]<sop><|system|>\n  Be kind.  <|user|>\nHi<|assistant|>\nHello!"
             "<|user|>\nBye<|assistant|>\n<think>");
  BOOST_TEST(chat::render(messages, {}, chat::format::glm4_0414, true) ==
             "[gMASK]<sop><|system|>\n  Be kind.  <|user|>\nHi<|assistant|>\nHello!"
             "<|user|>\nBye<|assistant|>");
}

BOOST_AUTO_TEST_CASE(z1_tools_block_keeps_key_order_and_non_ascii_text) {
  const std::vector<json> tools{json::parse(
      R"({"type":"function","function":{"name":"f","description":"é<&>","parameters":{}}})")};
  const std::vector<chat::message> messages{{"user", "x", ""}};
  BOOST_TEST(chat::render(messages, tools, chat::format::glm_z1, false) ==
             "[gMASK]<sop><|system|>\n你是一个名为 ChatGLM 的人工智能助手。你是基于智谱 AI "
             "公司训练的语言模型 GLM-4 模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。"
             "\n\n# 可用工具\n## f\n\n{\n    \"name\": \"f\",\n    \"description\": \"é<&>\",\n"
             "    \"parameters\": {}\n}\n在调用上述函数时，请使用 Json 格式表示调用的参数。<|user|>\nx");
}

BOOST_AUTO_TEST_CASE(glm4_chat_leaves_out_turns_with_empty_content) {
  const std::vector<chat::message> messages{{"system", "", ""}, {"user", "Hi", ""},
                                            {"assistant", "", "tool"}};
  BOOST_TEST(chat::render(messages, {}, chat::format::glm4_chat, false) ==
             "[gMASK]<sop><|user|>\nHi");
}

BOOST_AUTO_TEST_CASE(unknown_roles_and_unwritable_tools_are_refused) {
  const std::vector<chat::message> bad_role{{"tool", "x", ""}};
  BOOST_CHECK_THROW(chat::render(bad_role, {}, chat::format::glm4_chat, true),
                    glm4::invalid_argument);
  const std::vector<chat::message> ok{{"user", "x", ""}};
  const std::vector<json> unknown_kind{json::parse(R"({"type":"retrieval"})")};
  BOOST_CHECK_THROW(chat::render(ok, unknown_kind, chat::format::glm4_chat, true),
                    glm4::invalid_argument);
  const std::vector<json> nameless{json::parse(R"({"type":"function","function":{"x":1}})")};
  BOOST_CHECK_THROW(chat::render(ok, nameless, chat::format::glm_z1, true),
                    glm4::invalid_argument);
  const std::vector<json> bad_utf8{json{{"name", "f"}, {"description", "\xff"}}};
  BOOST_CHECK_THROW(chat::render(ok, bad_utf8, chat::format::glm_z1, true), glm4::text_error);
  // Found by fuzz_chat_render: quoting this tool in the message threw nlohmann's type_error.
  const std::vector<json> nameless_bad_utf8{json{{"description", "\xa8"}}};
  BOOST_CHECK_THROW(chat::render(ok, nameless_bad_utf8, chat::format::glm_z1, true),
                    glm4::invalid_argument);
}

BOOST_AUTO_TEST_CASE(python_strip_strips_what_python_isspace_accepts) {
  BOOST_TEST(chat::python_strip("\u3000\u00a0\x1c a b\t\u2028\n") == "a b");
  BOOST_TEST(chat::python_strip("\u200b x \u200b") == "\u200b x \u200b",
             "U+200B is not whitespace to Python and must stay");
  BOOST_TEST(chat::python_strip("  \xc2") == "\xc2", "a truncated sequence is not stripped");
  BOOST_TEST(chat::python_strip("\xc0\xa0x") == "\xc0\xa0x",
             "an overlong space is invalid UTF-8, not a space");
  BOOST_TEST(chat::python_strip("   ").empty());
}
