// The text on its way out, fed in pieces as a model would produce it: stop
// strings cut exactly (even split across pieces), Z1 reasoning split from the
// answer, a held answer parsed into OpenAI tool_calls.
#define BOOST_TEST_MODULE server_reply_stream
#include <boost/test/unit_test.hpp>

#include "glm4/chat/reply_stream.hpp"
#include "glm4/server/openai.hpp"

namespace chat = glm4::chat;
namespace server = glm4::server;
using mode = chat::reply_stream::mode;
using json = nlohmann::ordered_json;

namespace {

// Every piece through the stream, the deltas joined, as a client sees them.
chat::delta feed(chat::reply_stream& s, const std::vector<std::string>& pieces) {
  chat::delta all;
  const auto add = [&](const chat::delta& d) {
    all.reasoning += d.reasoning;
    all.content += d.content;
  };
  for (const auto& p : pieces) {
    add(s.write(p));
    if (s.stopped()) break;
  }
  add(s.finish());
  return all;
}

// `text` cut into pieces of `n` bytes.
std::vector<std::string> pieces_of(const std::string& text, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_stop_string_cuts_the_text_right_before_it_however_it_is_split) {
  const std::string text = "one two ## three ### four";
  for (std::size_t n = 1; n <= text.size(); ++n) {
    chat::reply_stream s(mode::text, {"###", "zzz"});
    const auto out = feed(s, pieces_of(text, n));
    BOOST_TEST(out.content == "one two ## three ", "pieces of " << n);
    BOOST_TEST(s.stopped());
  }
}

BOOST_AUTO_TEST_CASE(text_that_only_starts_like_a_stop_string_is_released_when_it_diverges) {
  chat::reply_stream s(mode::text, {"STOP"});
  BOOST_TEST(s.write("go ST").content == "go ", "'ST' may begin STOP: held");
  BOOST_TEST(s.write("ART").content == "START");
  BOOST_TEST(s.finish().content.empty());
  BOOST_TEST(!s.stopped());
}

// Found by the chat_reply fuzzer: "E" completed first and cut the text at
// "abc ", though "bc END" began earlier and ends it at "a".
BOOST_AUTO_TEST_CASE(a_longer_stop_that_began_first_wins_over_a_shorter_one_inside_it) {
  const std::string text = "xabc END yz";
  for (std::size_t n = 1; n <= text.size(); ++n) {
    chat::reply_stream s(mode::text, {"E", "bc END"});
    BOOST_TEST(feed(s, pieces_of(text, n)).content == "xa", "pieces of " << n);
    BOOST_TEST(s.stopped());
  }
  // The longer stop does not complete: the shorter one cuts, at the end at the latest.
  for (std::size_t n = 1; n <= 6; ++n) {
    chat::reply_stream s(mode::text, {"E", "bc ENX"});
    BOOST_TEST(feed(s, pieces_of("xabc EN", n)).content == "xabc ", "pieces of " << n);
    BOOST_TEST(s.stopped());
  }
}

BOOST_AUTO_TEST_CASE(completions_text_is_kept_as_generated) {
  chat::reply_stream s(mode::text, {});
  BOOST_TEST(feed(s, {"\n  a", " b  "}).content == "\n  a b  ");
}

BOOST_AUTO_TEST_CASE(a_chat_answer_is_stripped_as_parse_reply_strips_it) {
  chat::reply_stream s(mode::chat, {});
  BOOST_TEST(s.write("\n").content.empty(), "the empty metadata line is not shown");
  BOOST_TEST(s.write("Hello").content == "Hello");
  BOOST_TEST(s.write(" \n").content.empty(), "trailing spaces wait for more text");
  BOOST_TEST(s.write("world").content == " \nworld");
  BOOST_TEST(s.write("\n\n").content.empty());
  BOOST_TEST(s.finish().content.empty(), "and are dropped at the end");
}

BOOST_AUTO_TEST_CASE(z1_reasoning_streams_apart_from_the_answer) {
  const std::string text = "\nLet me think: 2+2.\n</think>\n\nIt is 4.";
  for (std::size_t n = 1; n <= 9; ++n) {
    chat::reply_stream s(mode::chat_thinking, {});
    const auto out = feed(s, pieces_of(text, n));
    BOOST_TEST(out.reasoning == "Let me think: 2+2.", "pieces of " << n);
    BOOST_TEST(out.content == "It is 4.", "pieces of " << n);
  }
}

BOOST_AUTO_TEST_CASE(z1_cut_off_while_thinking_is_all_reasoning) {
  chat::reply_stream s(mode::chat_thinking, {});
  const auto out = feed(s, {"still </thi", "nking"});
  BOOST_TEST(out.reasoning == "still </thinking");
  BOOST_TEST(out.content.empty());
}

BOOST_AUTO_TEST_CASE(a_stop_string_inside_the_reasoning_ends_it_there) {
  chat::reply_stream s(mode::chat_thinking, {"END"});
  const auto out = feed(s, {"abc E", "ND def</think>x"});
  BOOST_TEST(out.reasoning == "abc");
  BOOST_TEST(out.content.empty());
}

BOOST_AUTO_TEST_CASE(with_tools_the_answer_is_held_and_a_call_becomes_openai_tool_calls) {
  chat::reply_stream s(mode::chat, {}, /*hold_answer=*/true);
  const auto shown = feed(s, {"get_", "weather\n", "{\"city\": ", "\"Paris\", \"days\": 2}"});
  BOOST_TEST(shown.content.empty(), "nothing of a possible call is streamed as text");
  const glm4::chat::reply reply = server::parse_answer(s.raw_answer(), glm4::chat::format::glm4_0414);
  BOOST_TEST_REQUIRE(reply.call.has_value());

  server::completion_result r;
  r.call = reply.call;
  r.content = reply.answer;
  r.finish = server::finish_reason::tool_calls;
  const json body = server::openai::chat_response({"chatcmpl-1", 0, "m"}, r);
  const json& message = body["choices"][0]["message"];
  BOOST_TEST(body["choices"][0]["finish_reason"] == "tool_calls");
  BOOST_TEST(message["content"].is_null(), "a bare call has no text content");
  BOOST_TEST_REQUIRE(message["tool_calls"].size() == 1u);
  const json& call = message["tool_calls"][0];
  BOOST_TEST(call["type"] == "function");
  BOOST_TEST(call["id"].get<std::string>().starts_with("call_"));
  BOOST_TEST(call["function"]["name"] == "get_weather");
  BOOST_TEST_REQUIRE(call["function"]["arguments"].is_string(), "OpenAI sends arguments as a JSON string");
  BOOST_TEST(json::parse(call["function"]["arguments"].get<std::string>()) == json({{"city", "Paris"}, {"days", 2}}));
}

BOOST_AUTO_TEST_CASE(a_call_after_text_in_a_new_assistant_block_keeps_the_text) {
  chat::reply_stream s(mode::chat_thinking, {}, true);
  const auto shown = feed(s, {"plan</think>\nLet me look.", "<|assistant|>", "search\n{\"q\": \"x\"}"});
  BOOST_TEST(shown.reasoning == "plan");
  const auto reply = server::parse_answer(s.raw_answer(), glm4::chat::format::glm_z1);
  BOOST_TEST_REQUIRE(reply.call.has_value());
  BOOST_TEST(reply.call->name == "search");
  BOOST_TEST(reply.answer == "Let me look.");
}

BOOST_AUTO_TEST_CASE(a_held_z1_answer_is_read_as_parse_reply_reads_the_whole_output) {
  // Found by fuzz_chat_reply: the answer "<think>more" was taken for a second
  // thinking block and dropped, where parse_reply and an unheld stream show it.
  const std::string text = "plan</think><think>more";
  chat::reply_stream s(mode::chat_thinking, {}, /*hold_answer=*/true);
  feed(s, pieces_of(text, 4));
  const auto held = server::parse_answer(s.raw_answer(), glm4::chat::format::glm_z1);
  const auto whole = chat::parse_reply(text, glm4::chat::format::glm_z1);
  BOOST_TEST(whole.answer == "<think>more");
  BOOST_TEST(held.answer == whole.answer);
  const std::string twice = "a</think>b</think>c";
  chat::reply_stream t(mode::chat_thinking, {}, true);
  feed(t, pieces_of(twice, 3));
  BOOST_TEST(server::parse_answer(t.raw_answer(), glm4::chat::format::glm_z1).answer ==
                 chat::parse_reply(twice, glm4::chat::format::glm_z1).answer,
             "thinking ends at the last </think> once the whole answer is held");
}

BOOST_AUTO_TEST_CASE(with_tools_a_plain_answer_comes_out_stripped_at_the_end) {
  chat::reply_stream s(mode::chat, {}, true);
  feed(s, {"\n", "Just text, ", "no call.\n"});
  const auto reply = server::parse_answer(s.raw_answer(), glm4::chat::format::glm4_chat);
  BOOST_TEST(!reply.call.has_value());
  BOOST_TEST(reply.answer == "Just text, no call.");
}

BOOST_AUTO_TEST_CASE(streamed_chunks_and_usage_have_openais_shape) {
  server::completion_result r;
  r.prompt_tokens = 10;
  r.cached_tokens = 4;
  r.completion_tokens = 3;
  const server::openai::response_header h{"chatcmpl-x", 1, "m"};
  const json chunk = server::openai::chat_chunk(h, server::openai::chat_delta({"why", "what"}));
  BOOST_TEST(chunk["object"] == "chat.completion.chunk");
  BOOST_TEST(chunk["choices"][0]["delta"]["reasoning_content"] == "why");
  BOOST_TEST(chunk["choices"][0]["delta"]["content"] == "what");
  BOOST_TEST(chunk["choices"][0]["finish_reason"].is_null());
  const json usage = server::openai::usage_chunk(h, r, "chat.completion.chunk")["usage"];
  BOOST_TEST(usage["total_tokens"] == 13);
  BOOST_TEST(usage["prompt_tokens_details"]["cached_tokens"] == 4);
}
