// The server without HTTP: an OpenAI request body in, a response body (or a
// stream of chunk bodies) out, over one model's tokenizer, chat format and
// slot pool. apps/glm4/serve_command.cpp only moves bytes between this and
// the socket.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/chat/end_of_turn.hpp"
#include "glm4/chat/template.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/any_model.hpp"
#include "glm4/server/api_error.hpp"
#include "glm4/server/completion.hpp"
#include "glm4/server/openai.hpp"
#include "glm4/server/request.hpp"
#include "glm4/server/slots.hpp"
#include "glm4/tokenizer/tokenizer.hpp"

namespace glm4::inline GLM4_TARGET::server {

struct service_options {
  std::string model_id = "glm4";  // what /v1/models and every response report
  std::size_t slots = 1;          // requests generating at once
  std::size_t queue = 8;          // requests waiting for a slot; past it, 503
  std::int64_t max_tokens = -1;   // the cap when a request sets none; <= 0: the context
  draft_options drafts;           // speculative decoding for every request
};

// Where a streamed response goes: each chunk's JSON, and a check, once per
// generated token, that the client is still there. Either returning false
// cancels the request and frees its slot.
struct chunk_sink {
  std::function<bool(const json&)> write;
  std::function<bool()> alive = [] { return true; };
};

// A request ready to run: parsed, tokenized, checked against the context,
// and holding its slot.
struct job {
  bool chat = true;
  bool stream = false;
  bool include_usage = false;
  std::vector<std::int32_t> prompt;
  completion_options options;
  openai::response_header header;
  slot_pool::lease slot;
};

class service {
 public:
  // `tok` must outlive the service.
  service(const tokenizer& tok, chat::format format, const std::function<any_session()>& make_session,
          service_options options)
      : tok_(&tok), format_(format), options_(std::move(options)),
        pool_(make_session, options_.slots, options_.queue), stop_ids_(chat::end_of_turn_ids(tok)),
        created_(static_cast<std::int64_t>(std::time(nullptr))) {}

  // The prompt text of a chat request, special tokens spelled out.
  std::string render(const chat_request& r) const {
    try {
      return chat::render(r.messages, r.tools, format_, true);
    } catch (const api_error&) {
      throw;
    } catch (const invalid_argument& e) {
      throw bad_request(e.what(), r.tools.empty() ? "messages" : "tools");
    } catch (const text_error& e) {
      throw bad_request(e.what(), "tools");
    }
  }

  // Parses, tokenizes and checks a /v1/chat/completions body, then waits for
  // a slot. Throws api_error (400 for the request, 503 when the queue is full).
  std::unique_ptr<job> prepare_chat(const json& body) {
    const chat_request r = parse_chat_request(body);
    auto j = std::make_unique<job>();
    j->chat = true;
    j->prompt = tok_->encode(render(r), special_tokens::allow);
    j->options.mode = format_ == chat::format::glm_z1 ? chat::reply_stream::mode::chat_thinking : chat::reply_stream::mode::chat;
    j->options.tools = !r.tools.empty();
    j->options.format = format_;
    return finish_prepare(std::move(j), r, "chatcmpl-");
  }

  // The same for a /v1/completions body: the prompt is run as it is.
  std::unique_ptr<job> prepare_completion(const json& body) {
    const completion_request r = parse_completion_request(body);
    auto j = std::make_unique<job>();
    j->chat = false;
    j->prompt = tok_->encode(r.prompt, special_tokens::allow);
    j->options.mode = chat::reply_stream::mode::text;
    return finish_prepare(std::move(j), r, "cmpl-");
  }

  // Runs a prepared job on its slot and gives the slot back. Unstreamed: the
  // response body. Streamed: the chunks go to `sink` and the result is null.
  json run(job& j, const chunk_sink& sink = {}) {
    slot_pool::lease held = std::move(j.slot);
    const bool streaming = j.stream && sink.write;
    const auto& h = j.header;
    if (streaming && j.chat && !sink.write(openai::chat_chunk(h, {{"role", "assistant"}, {"content", ""}})))
      return nullptr;
    const auto on_delta = [&](const chat::delta& d) -> bool {
      if (!streaming) return true;
      if (d.empty()) return sink.alive();
      return sink.write(j.chat ? openai::chat_chunk(h, openai::chat_delta(d)) : openai::completion_chunk(h, d.content));
    };
    const completion_result r = run_completion(*held, *tok_, j.prompt, j.options, on_delta);
    held.release();
    if (!streaming) return j.chat ? openai::chat_response(h, r) : openai::completion_response(h, r);
    if (r.finish == finish_reason::cancelled) return nullptr;
    if (j.chat) {
      if (r.call && !sink.write(openai::chat_chunk(h, openai::tool_call_delta(*r.call)))) return nullptr;
      if (!sink.write(openai::chat_chunk(h, json::object(), to_string(r.finish)))) return nullptr;
    } else if (!sink.write(openai::completion_chunk(h, "", to_string(r.finish)))) {
      return nullptr;
    }
    if (j.include_usage)
      sink.write(openai::usage_chunk(h, r, j.chat ? "chat.completion.chunk" : "text_completion"));
    return nullptr;
  }

  // /health's body: the slots' load.
  json health() const {
    const std::size_t busy = pool_.busy();
    return {{"status", "ok"}, {"slots_idle", pool_.size() - busy}, {"slots_processing", busy},
            {"requests_waiting", pool_.waiting()}};
  }

  json models() const { return openai::models(options_.model_id, created_); }
  slot_pool& slots() { return pool_; }
  const service_options& options() const { return options_; }

 private:
  template <class Request>
  std::unique_ptr<job> finish_prepare(std::unique_ptr<job> j, const Request& r, const char* id_prefix) {
    j->stream = r.stream;
    j->include_usage = r.include_usage;
    j->header = {openai::random_id(id_prefix), static_cast<std::int64_t>(std::time(nullptr)), options_.model_id};
    // Every slot has the same context.
    j->options.max_tokens = check_context(j->prompt.size(), pool_.at(0).context(), r.max_tokens, options_.max_tokens);
    j->options.stop = r.stop;
    j->options.drafts = options_.drafts;
    j->options.sampling = r.sampling;
    if (!r.ignore_eos) j->options.sampling.stop_ids = stop_ids_;
    else j->options.sampling.stop_ids.clear();
    j->options.sampling.seed = r.seed ? *r.seed : std::random_device{}();
    sampling::validate(j->options.sampling);
    j->slot = pool_.acquire(j->prompt);
    return j;
  }

  const tokenizer* tok_;
  chat::format format_;
  service_options options_;
  slot_pool pool_;
  std::vector<std::int32_t> stop_ids_;
  std::int64_t created_;
};

}  // namespace glm4::inline GLM4_TARGET::server
