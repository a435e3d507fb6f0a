// One request run on one slot: the prompt's tokens in (reusing what the
// slot's cache already holds), sampled tokens out as text pieces through a
// callback that may cancel, and what OpenAI reports at the end: the finish
// reason, token counts, and for a chat the answer, Z1's reasoning and a tool
// call parsed with glm4::chat::parse_reply.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "glm4/chat/reply.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/token_generator.hpp"
#include "glm4/sampling/sampler.hpp"
#include "glm4/server/api_error.hpp"
#include "glm4/chat/reply_stream.hpp"
#include "glm4/server/slots.hpp"
#include "glm4/tokenizer/stream_decoder.hpp"
#include "glm4/tokenizer/tokenizer.hpp"

namespace glm4::inline GLM4_TARGET::server {

struct completion_options {
  sampling::params sampling;  // stop_ids and seed included
  std::int64_t max_tokens = 0; // already capped to the context (check_context)
  std::vector<std::string> stop;
  chat::reply_stream::mode mode = chat::reply_stream::mode::text;
  // The request declared tools: the answer is held to the end and parsed for
  // a call (glm4::chat::parse_reply) in this format.
  bool tools = false;
  chat::format format = chat::format::glm4_0414;
  draft_options drafts;  // speculative decoding (the server's --draft)
};

enum class finish_reason { stop, length, tool_calls, cancelled };

constexpr const char* to_string(finish_reason r) {
  constexpr const char* names[] = {"stop", "length", "tool_calls", "cancelled"};
  return names[static_cast<int>(r)];
}

struct completion_result {
  std::string content;    // the answer as streamed, all deltas joined
  std::string reasoning;  // Z1's thinking, likewise
  std::optional<chat::tool_call> call;
  finish_reason finish = finish_reason::stop;
  std::size_t prompt_tokens = 0;
  std::size_t cached_tokens = 0;  // prompt tokens the slot's cache already held
  std::size_t completion_tokens = 0;
  draft_stats drafts;  // of speculative decoding, when the options ask for it
};

// The number of new tokens a prompt of `prompt_tokens` may have on a session
// of `context`: `requested` (or, when unset or <= 0, `default_cap`, itself
// unlimited when <= 0), capped by the room left. A prompt that leaves no room
// is a 400 that says by how much.
inline std::int64_t check_context(std::size_t prompt_tokens, std::int64_t context,
                                  std::optional<std::int64_t> requested, std::int64_t default_cap) {
  const auto n = static_cast<std::int64_t>(prompt_tokens);
  if (n == 0) throw bad_request("the prompt is empty", "prompt");
  if (n >= context)
    throw bad_request("the prompt is " + std::to_string(n) + " tokens; the context holds " + std::to_string(context) +
                          " (prompt and reply together; the server's --ctx-size), so it must be at most " +
                          std::to_string(context - 1) + " tokens",
                      "messages", "context_length_exceeded");
  const std::int64_t room = context - n;
  std::int64_t want = requested.value_or(0) > 0 ? *requested : default_cap;
  if (want <= 0) want = room;
  return std::min(want, room);
}

// A held answer (chat::reply_stream::raw_answer, Z1's thinking already split off)
// read as glm4::chat::parse_reply reads a turn: a tool call "name\n{json}",
// possibly after text in an earlier <|assistant|> block, or plain text.
inline chat::reply parse_answer(const std::string& raw_answer, chat::format f) {
  // The stream closed Z1's thinking at the first "</think>". Put back, it
  // makes a "<think>" after it answer text and a later "</think>" still the
  // end of the thinking: what parse_reply makes of the whole output.
  if (f == chat::format::glm_z1) return chat::parse_reply("</think>" + raw_answer, f);
  return chat::parse_reply(raw_answer, f);
}

// Runs `prompt` on `s`. `on_delta` gets each piece of text that can be shown
// (possibly empty, once per token, so a caller can notice a client that went
// away); it returns false to cancel. The slot's cache keeps every token run,
// for the next request to reuse.
inline completion_result run_completion(slot& s, const tokenizer& tok, std::span<const std::int32_t> prompt,
                                        const completion_options& o,
                                        const std::function<bool(const chat::delta&)>& on_delta) {
  completion_result r;
  r.prompt_tokens = prompt.size();
  sampling::sampler sampler(o.sampling);
  chat::reply_stream stream(o.mode, o.stop, o.tools);
  stream_decoder decoder(tok);
  const auto emit = [&](const chat::delta& d) {
    r.content += d.content;
    r.reasoning += d.reasoning;
    return on_delta ? on_delta(d) : true;
  };

  token_generator gen(s.session(), sampler, prompt, s.load_prompt(prompt), o.drafts);
  r.cached_tokens = s.last_reused();
  r.finish = finish_reason::length;
  for (std::int64_t n = 0; n < o.max_tokens; ++n) {
    const std::int32_t id = gen.next(static_cast<std::size_t>(o.max_tokens - n));
    if (sampler.is_stop(id)) {
      r.finish = finish_reason::stop;
      break;
    }
    ++r.completion_tokens;
    // Control tokens (<|assistant|> opening another block) are kept for the
    // tool-call parser but never shown as text.
    const bool special = tok.is_special(id);
    const std::string text = special ? std::string() : decoder.push(id);
    if (!emit(special && o.tools ? stream.write(tok.piece(id)) : stream.write(text))) {
      r.finish = finish_reason::cancelled;
      break;
    }
    if (stream.stopped()) {
      r.finish = finish_reason::stop;
      break;
    }
  }
  // The cache keeps what plain decoding would have run, for the next request.
  gen.settle();
  s.holding(gen.history().first(static_cast<std::size_t>(gen.position())));
  r.drafts = gen.stats();
  if (r.finish == finish_reason::cancelled) return r;
  chat::delta last;
  if (!stream.stopped()) last = stream.write(decoder.flush());
  const chat::delta rest = stream.finish();
  last.reasoning += rest.reasoning;
  last.content += rest.content;
  if (o.tools) {
    // The held answer: a tool call, or text shown now in one piece.
    const chat::reply reply = parse_answer(stream.raw_answer(), o.format);
    r.call = reply.call;
    last.content = reply.answer;
    if (r.call && r.finish == finish_reason::stop) r.finish = finish_reason::tool_calls;
  }
  if (!last.empty() && !emit(last)) r.finish = finish_reason::cancelled;
  return r;
}

}  // namespace glm4::inline GLM4_TARGET::server
