// parse_reply on the shapes GLM-4 and GLM-Z1 outputs take (spec C.4).
#define BOOST_TEST_MODULE chat_reply
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "glm4/chat/reply.hpp"
#include "glm4/config/stop_ids.hpp"

namespace chat = glm4::chat;
using json = nlohmann::ordered_json;

BOOST_AUTO_TEST_CASE(glm4_chat_plain_answer_drops_the_empty_metadata_line) {
  const chat::reply r = chat::parse_reply("\nHello! How can I help?\n", chat::format::glm4_chat);
  BOOST_TEST(r.thinking.empty());
  BOOST_TEST(r.answer == "Hello! How can I help?");
  BOOST_TEST(!r.call.has_value(), "a reply with an empty first line is not a tool call");
}

BOOST_AUTO_TEST_CASE(glm4_chat_tool_call_gives_name_and_json_arguments_in_order) {
  const chat::reply r =
      chat::parse_reply("get_weather\n{\"city\": \"北京\", \"days\": 2}", chat::format::glm4_chat);
  BOOST_TEST_REQUIRE(r.call.has_value(), "'name\\n{json}' must be read as a tool call");
  BOOST_TEST(r.call->name == "get_weather");
  BOOST_TEST(r.call->arguments.dump() == R"({"city":"北京","days":2})");
  BOOST_TEST(r.answer.empty());
}

BOOST_AUTO_TEST_CASE(builtin_tools_take_their_code_as_a_string) {
  const chat::reply r =
      chat::parse_reply("python\n```python\nprint(1 + 1)\n```", chat::format::glm4_chat);
  BOOST_TEST_REQUIRE(r.call.has_value());
  BOOST_TEST(r.call->name == "python");
  BOOST_TEST(r.call->arguments == json("```python\nprint(1 + 1)\n```"));
}

BOOST_AUTO_TEST_CASE(malformed_arguments_are_kept_as_answer_text) {
  const chat::reply cut = chat::parse_reply("get_weather\n{\"city\": ", chat::format::glm4_chat);
  BOOST_TEST(!cut.call.has_value(), "arguments cut off mid-JSON must not make a call");
  BOOST_TEST(cut.answer == "get_weather\n{\"city\":");
  const chat::reply not_object = chat::parse_reply("Answer\n42", chat::format::glm4_chat);
  BOOST_TEST(!not_object.call.has_value(), "function arguments must be a JSON object");
  BOOST_TEST(not_object.answer == "Answer\n42");
  const chat::reply spaced = chat::parse_reply("the weather\n{}", chat::format::glm4_chat);
  BOOST_TEST(!spaced.call.has_value(), "a first line with spaces is prose, not a tool name");
}

BOOST_AUTO_TEST_CASE(z1_output_starts_inside_the_think_block) {
  const chat::reply r = chat::parse_reply("Let me add: 2+2=4.\n</think>\n\nThe answer is 4.",
                                          chat::format::glm_z1);
  BOOST_TEST(r.thinking == "Let me add: 2+2=4.");
  BOOST_TEST(r.answer == "The answer is 4.");
  BOOST_TEST(!r.call.has_value());
}

BOOST_AUTO_TEST_CASE(z1_output_cut_off_while_thinking_is_all_thinking) {
  const chat::reply r = chat::parse_reply("Still thinking about", chat::format::glm_z1);
  BOOST_TEST(r.thinking == "Still thinking about");
  BOOST_TEST(r.answer.empty(), "no </think> yet means nothing visible yet");
}

BOOST_AUTO_TEST_CASE(z1_thinking_then_tool_call_in_a_new_assistant_block) {
  const chat::reply r = chat::parse_reply(
      "<think>Need the weather.</think>I will look it up.<|assistant|>get_weather\n{\"city\":\"Paris\"}",
      chat::format::glm_z1);
  BOOST_TEST(r.thinking == "Need the weather.", "an explicit leading <think> is not thinking text");
  BOOST_TEST(r.answer == "I will look it up.");
  BOOST_TEST_REQUIRE(r.call.has_value());
  BOOST_TEST(r.call->name == "get_weather");
  BOOST_TEST(r.call->arguments == json::parse(R"({"city":"Paris"})"));
}

BOOST_AUTO_TEST_CASE(thinking_ends_at_the_last_close_tag_like_the_template) {
  const chat::reply r =
      chat::parse_reply("<think>a</think>b</think>\nc", chat::format::glm4_0414);
  BOOST_TEST(r.thinking == "a</think>b");
  BOOST_TEST(r.answer == "c");
}

BOOST_AUTO_TEST_CASE(non_thinking_formats_leave_think_free_text_alone) {
  const chat::reply r = chat::parse_reply("\nUse </think> to close.", chat::format::glm4_chat);
  BOOST_TEST(r.thinking.empty());
  BOOST_TEST(r.answer == "Use </think> to close.");
}

BOOST_AUTO_TEST_CASE(stop_ids_are_eos_user_observation) {
  BOOST_TEST(glm4::presets::stop_ids[0] == 151329);
  BOOST_TEST(glm4::presets::stop_ids[1] == 151336);
  BOOST_TEST(glm4::presets::stop_ids[2] == 151338);
}
