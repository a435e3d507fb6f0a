// The server's core on the shipped random-weight glm4-small model: prompt
// caching across requests, the slot queue, cancellation, stop strings and
// context limits, through glm4::server::service as the HTTP layer drives it.
#define BOOST_TEST_MODULE server_engine
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "glm4/config/shipped_models.hpp"
#include "glm4/model/any_model.hpp"
#include "glm4/server/service.hpp"
#include "glm4/tokenizer/open.hpp"

namespace server = glm4::server;
using json = nlohmann::ordered_json;

namespace {

const std::string model_dir = GLM4_TEST_DATA_DIR "/models/glm4-small";

// Opened once, with only the one configuration and file type it needs, so
// this test compiles one forward pass, not the library's whole list.
struct small_model {
  glm4::any_model model = glm4::any_model::open<glm4::config_list<glm4::shipped_models::glm4_small>,
                                                glm4::file_types::list<glm4::file_types::bf16>>(model_dir);
  glm4::tokenizer tok = glm4::open_tokenizer(model_dir);
};

small_model& shared() {
  static small_model m;
  return m;
}

std::function<glm4::any_session()> sessions(std::int64_t context = 128) {
  return [context] { return shared().model.new_session({.context = context, .threads = 1}); };
}

server::service make_service(std::size_t slots = 1, std::size_t queue = 0, std::int64_t context = 128) {
  return server::service(shared().tok, glm4::chat::format::glm4_0414, sessions(context),
                         {.model_id = "glm4-small", .slots = slots, .queue = queue});
}

json chat(const std::string& text, int max_tokens = 8) {
  return {{"messages", {{{"role", "user"}, {"content", text}}}}, {"temperature", 0}, {"max_tokens", max_tokens}};
}

server::completion_options greedy(std::int64_t max_tokens) {
  server::completion_options o;
  o.sampling = glm4::sampling::params::greedy();
  o.sampling.stop_ids = glm4::chat::end_of_turn_ids(shared().tok);
  o.max_tokens = max_tokens;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_prompt_that_extends_the_cached_one_prefills_only_the_new_tokens) {
  server::slot_pool pool(sessions(), 1, 0);
  const auto first = shared().tok.encode("The quick brown fox");
  auto second = first;
  for (const auto id : shared().tok.encode(" jumps over the lazy dog")) second.push_back(id);
  {
    auto s = pool.acquire(first);
    // One token: the sampled one is never run, so the cache holds the prompt.
    server::run_completion(*s, shared().tok, first, greedy(1), {});
    BOOST_TEST(s->last_prefilled() == first.size());
  }
  auto s = pool.acquire(second);
  const auto r = server::run_completion(*s, shared().tok, second, greedy(1), {});
  BOOST_TEST(s->last_reused() == first.size(), "the first prompt's tokens come from the cache");
  BOOST_TEST(s->last_prefilled() == second.size() - first.size(), "only the new tokens are run");
  BOOST_TEST(r.cached_tokens == first.size());
}

BOOST_AUTO_TEST_CASE(a_reused_prefix_gives_the_same_tokens_as_a_fresh_prefill) {
  server::slot_pool warm(sessions(), 1, 0), cold(sessions(), 1, 0);
  const auto a = shared().tok.encode("Once upon a time");
  auto b = a;
  for (const auto id : shared().tok.encode(" there was")) b.push_back(id);
  {
    auto s = warm.acquire(a);
    server::run_completion(*s, shared().tok, a, greedy(6), {});
  }
  auto ws = warm.acquire(b);
  auto cs = cold.acquire(b);
  const auto from_cache = server::run_completion(*ws, shared().tok, b, greedy(12), {});
  const auto fresh = server::run_completion(*cs, shared().tok, b, greedy(12), {});
  BOOST_TEST(ws->last_reused() >= a.size());
  BOOST_TEST(from_cache.content == fresh.content);
}

BOOST_AUTO_TEST_CASE(the_free_slot_with_the_longest_common_prefix_is_chosen) {
  server::slot_pool pool(sessions(), 2, 0);
  const auto a = shared().tok.encode("alpha beta gamma");
  const auto b = shared().tok.encode("zeta eta theta");
  std::size_t slot_a, slot_b;
  {
    auto sa = pool.acquire(a);
    auto sb = pool.acquire(b);
    slot_a = sa->index();
    slot_b = sb->index();
    server::run_completion(*sa, shared().tok, a, greedy(1), {});
    server::run_completion(*sb, shared().tok, b, greedy(1), {});
  }
  BOOST_TEST(pool.acquire(b)->index() == slot_b);
  BOOST_TEST(pool.acquire(a)->index() == slot_a);
}

BOOST_AUTO_TEST_CASE(past_the_queue_a_request_gets_503_and_the_queue_drains_in_order) {
  server::slot_pool pool(sessions(), 1, 1);
  const auto p = shared().tok.encode("hi");
  auto held = pool.acquire(p);
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire(p)->index(); });
  for (int i = 0; i < 200 && pool.waiting() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_TEST_REQUIRE(pool.waiting() == 1u);
  try {
    pool.acquire(p);
    BOOST_FAIL("a third request was accepted with one slot busy and the one queue place taken");
  } catch (const server::api_error& e) {
    BOOST_TEST(e.status() == 503);
    BOOST_TEST(e.code() == "server_busy");
  }
  held.release();
  BOOST_TEST((waiter.wait_for(std::chrono::seconds(10)) == std::future_status::ready), "the queued request got the slot");
  BOOST_TEST(waiter.get() == 0u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_stream_frees_its_slot) {
  auto service = make_service(1, 0);
  auto job = service.prepare_chat(chat("Tell me a story", 50));
  job->stream = true;
  int chunks = 0;
  server::chunk_sink gone{[&](const json&) { return ++chunks < 3; }, [] { return true; }};
  service.run(*job, gone);
  BOOST_TEST(chunks == 3, "the stream ended at the first failed write");
  BOOST_TEST(service.slots().busy() == 0u);
  // With no queue, a busy slot would make this a 503.
  BOOST_CHECK_NO_THROW(service.run(*service.prepare_chat(chat("Again"))));
}

BOOST_AUTO_TEST_CASE(a_stream_carries_the_same_text_as_the_plain_response) {
  auto service = make_service(1, 0);
  const json plain = service.run(*service.prepare_chat(chat("Hello there", 20)));
  auto job = service.prepare_chat(chat("Hello there", 20));
  job->stream = true;
  std::string streamed;
  std::string finish;
  server::chunk_sink sink{[&](const json& c) {
                            const json& choice = c["choices"][0];
                            if (choice["delta"].contains("content")) streamed += choice["delta"]["content"].get<std::string>();
                            if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
                            return true;
                          }};
  service.run(*job, sink);
  BOOST_TEST(streamed == plain["choices"][0]["message"]["content"].get<std::string>());
  BOOST_TEST(finish == plain["choices"][0]["finish_reason"].get<std::string>());
  BOOST_TEST(plain["usage"]["completion_tokens"].get<int>() <= 20);
}

BOOST_AUTO_TEST_CASE(a_stop_string_cuts_the_generated_text_exactly) {
  auto service = make_service(1, 0);
  json body = {{"prompt", "The weather today"}, {"temperature", 0}, {"max_tokens", 30}};
  const std::string text = service.run(*service.prepare_completion(body))["choices"][0]["text"];
  BOOST_TEST_REQUIRE(text.size() >= 6u, "the model wrote: '" << text << "'");
  const std::string stop = text.substr(text.size() / 2, 3);
  body["stop"] = {stop};
  const json cut = service.run(*service.prepare_completion(body));
  BOOST_TEST(cut["choices"][0]["text"] == text.substr(0, text.find(stop)));
  BOOST_TEST(cut["choices"][0]["finish_reason"] == "stop");
}

BOOST_AUTO_TEST_CASE(max_tokens_ends_with_length) {
  auto service = make_service(1, 0);
  const json r = service.run(*service.prepare_completion({{"prompt", "a b c"}, {"temperature", 0}, {"max_tokens", 3}}));
  // A random model may stop early with an end-of-turn token; otherwise exactly 3.
  const int n = r["usage"]["completion_tokens"];
  BOOST_TEST(n <= 3);
  if (n == 3) BOOST_TEST(r["choices"][0]["finish_reason"] == "length");
}

BOOST_AUTO_TEST_CASE(a_prompt_past_the_context_is_a_400_that_says_so) {
  auto service = make_service(1, 0, 32);
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += " word";
  try {
    service.prepare_chat(chat(long_text));
    BOOST_FAIL("a prompt past the 32-token context was accepted");
  } catch (const server::api_error& e) {
    BOOST_TEST(e.status() == 400);
    BOOST_TEST(e.code() == "context_length_exceeded");
    BOOST_TEST(std::string(e.what()).find("context holds 32") != std::string::npos, e.what());
  }
  BOOST_TEST(service.slots().busy() == 0u, "a refused request holds no slot");
}

BOOST_AUTO_TEST_CASE(max_tokens_is_capped_at_the_room_left_in_the_context) {
  BOOST_TEST(server::check_context(10, 32, 1000, -1) == 22);
  BOOST_TEST(server::check_context(10, 32, std::nullopt, 5) == 5);
  BOOST_TEST(server::check_context(10, 32, std::nullopt, -1) == 22);
}

BOOST_AUTO_TEST_CASE(tools_reach_the_rendered_prompt) {
  // The 0414 tools header alone is some 300 tokens.
  auto service = make_service(1, 0, 512);
  json body = chat("weather?");
  body["tools"] = {{{"type", "function"},
                    {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}};
  const auto request = server::parse_chat_request(body);
  BOOST_TEST(service.render(request).find("## get_weather") != std::string::npos);
  const json r = service.run(*service.prepare_chat(body));
  BOOST_TEST(r["object"] == "chat.completion");
}
