// OpenAI request bodies → request structs: what is accepted, and that every
// refusal is a 400 naming the field at fault.
#define BOOST_TEST_MODULE server_request
#include <boost/test/unit_test.hpp>

#include "glm4/server/request.hpp"

namespace server = glm4::server;
using json = nlohmann::ordered_json;

namespace {

// The api_error a body is refused with; fails the test when it is accepted.
server::api_error refusal(const json& body, bool chat = true) {
  try {
    if (chat) server::parse_chat_request(body);
    else server::parse_completion_request(body);
  } catch (const server::api_error& e) {
    return e;
  }
  BOOST_FAIL("accepted a body that should be refused: " + body.dump());
  throw;
}

json chat_body() { return {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_plain_chat_request_takes_the_sampling_fields) {
  json body = chat_body();
  body["temperature"] = 0.5;
  body["top_p"] = 0.9;
  body["top_k"] = 20;
  body["max_tokens"] = 12;
  body["seed"] = 7;
  body["stop"] = "END";
  body["presence_penalty"] = 0.25;
  body["frequency_penalty"] = -0.5;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["user"] = "ignored";  // fields the server does not act on are accepted
  const auto r = server::parse_chat_request(body);
  BOOST_TEST(r.messages.size() == 1u);
  BOOST_TEST(r.messages[0].role == "user");
  BOOST_TEST(r.sampling.temperature == 0.5f);
  BOOST_TEST(r.sampling.top_p == 0.9f);
  BOOST_TEST(r.sampling.top_k == 20);
  BOOST_TEST(*r.max_tokens == 12);
  BOOST_TEST(*r.seed == 7u);
  BOOST_TEST(r.stop == std::vector<std::string>{"END"});
  BOOST_TEST(r.sampling.presence_penalty == 0.25f);
  BOOST_TEST(r.sampling.frequency_penalty == -0.5f);
  BOOST_TEST(r.stream);
  BOOST_TEST(r.include_usage);
}

BOOST_AUTO_TEST_CASE(tool_and_developer_roles_map_to_glm4_roles_and_tool_calls_to_metadata_turns) {
  json body = chat_body();
  body["messages"] = json::array({
      {{"role", "developer"}, {"content", "be brief"}},
      {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "weather "}}, {{"type", "text"}, {"text", "in Paris?"}}}}},
      {{"role", "assistant"}, {"content", nullptr},
       {"tool_calls", {{{"id", "call_1"}, {"type", "function"},
                        {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}}}}},
      {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
  });
  const auto r = server::parse_chat_request(body);
  BOOST_TEST_REQUIRE(r.messages.size() == 4u);
  BOOST_TEST(r.messages[0].role == "system");
  BOOST_TEST(r.messages[1].content == "weather in Paris?", "text parts are joined");
  BOOST_TEST(r.messages[2].role == "assistant");
  BOOST_TEST(r.messages[2].metadata == "get_weather", "a call is an assistant turn whose metadata is the tool");
  BOOST_TEST(r.messages[2].content == R"({"city":"Paris"})");
  BOOST_TEST(r.messages[3].role == "observation", "a tool result is GLM-4's observation turn");
}

BOOST_AUTO_TEST_CASE(refusals_name_the_field_at_fault) {
  struct refused {
    json body;
    std::string param;
  };
  json unknown_role = chat_body();
  unknown_role["messages"][0]["role"] = "wizard";
  json no_role = chat_body();
  no_role["messages"][0].erase("role");
  json text_temperature = chat_body();
  text_temperature["temperature"] = "hot";
  json hot = chat_body();
  hot["temperature"] = 3;
  json fractional_tokens = chat_body();
  fractional_tokens["max_tokens"] = 1.5;
  json zero_tokens = chat_body();
  zero_tokens["max_tokens"] = 0;
  json stop_number = chat_body();
  stop_number["stop"] = {"a", 3};
  json stream_text = chat_body();
  stream_text["stream"] = "yes";
  json two_choices = chat_body();
  two_choices["n"] = 2;
  json bad_tool = chat_body();
  bad_tool["tools"] = {{{"type", "function"}, {"function", {{"description", "no name"}}}}};
  json image = chat_body();
  image["messages"][0]["content"] = {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}};
  const std::vector<refused> cases{
      {json::object(), "messages"},
      {{{"messages", "hi"}}, "messages"},
      {{{"messages", json::array()}}, "messages"},
      {unknown_role, "messages[0].role"},
      {no_role, "messages[0].role"},
      {text_temperature, "temperature"},
      {hot, "temperature"},
      {fractional_tokens, "max_tokens"},
      {zero_tokens, "max_tokens"},
      {stop_number, "stop[1]"},
      {stream_text, "stream"},
      {two_choices, "n"},
      {bad_tool, "tools[0].function.name"},
      {image, "messages[0].content[0].type"},
      {json::array({1, 2}), "body"},
  };
  for (const auto& c : cases) {
    const server::api_error e = refusal(c.body);
    BOOST_TEST(e.status() == 400, c.body.dump());
    BOOST_TEST(e.type() == "invalid_request_error");
    BOOST_TEST(e.param() == c.param, c.body.dump() + " → " + e.what());
    BOOST_TEST(std::string(e.what()).find(c.param) != std::string::npos,
               "the message names the field: " << e.what());
  }
}

BOOST_AUTO_TEST_CASE(completions_take_one_prompt_string) {
  BOOST_TEST(server::parse_completion_request({{"prompt", "Once"}}).prompt == "Once");
  BOOST_TEST(server::parse_completion_request({{"prompt", {"Once"}}}).prompt == "Once");
  BOOST_TEST(refusal({{"prompt", 5}}, false).param() == "prompt");
  BOOST_TEST(refusal({{"prompt", {"a", "b"}}}, false).param() == "prompt");
  BOOST_TEST(refusal(json::object(), false).param() == "prompt");
}

BOOST_AUTO_TEST_CASE(error_bodies_have_openais_shape) {
  const json body = server::error_body(server::bad_request("'x' is wrong", "x"));
  BOOST_TEST(body["error"]["message"] == "'x' is wrong");
  BOOST_TEST(body["error"]["type"] == "invalid_request_error");
  BOOST_TEST(body["error"]["param"] == "x");
  BOOST_TEST(body["error"]["code"].is_null());
}
