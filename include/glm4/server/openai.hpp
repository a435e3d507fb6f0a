// The JSON bodies of OpenAI's chat and text completion APIs (responses and
// streamed chunks), built from a completion_result, as the official clients
// read them.
#pragma once

#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "glm4/kernels/targets.hpp"
#include "glm4/server/completion.hpp"

namespace glm4::inline GLM4_TARGET::server::openai {

using json = nlohmann::ordered_json;

// "chatcmpl-" + 24 random letters and digits: ids a client may log or match.
inline std::string random_id(std::string_view prefix) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += alphabet[rng() % alphabet.size()];
  return id;
}

// Identifies one response: every chunk of a stream repeats it.
struct response_header {
  std::string id;
  std::int64_t created = static_cast<std::int64_t>(std::time(nullptr));
  std::string model;
};

inline json usage(const completion_result& r) {
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens},
          {"total_tokens", r.prompt_tokens + r.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", r.cached_tokens}}},
          // OpenAI's counts for predicted outputs: here the drafts of
          // speculative decoding (the server's --draft), kept and refused.
          {"completion_tokens_details",
           {{"accepted_prediction_tokens", r.drafts.accepted},
            {"rejected_prediction_tokens", r.drafts.drafted - r.drafts.accepted}}}};
}

// A call as OpenAI's tool_calls entry: arguments are a JSON *string*.
inline json tool_call(const chat::tool_call& call, const std::string& id) {
  const std::string arguments = call.arguments.is_string() ? call.arguments.get<std::string>() : call.arguments.dump();
  return {{"id", id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", arguments}}}};
}

inline json chat_response(const response_header& h, const completion_result& r) {
  json message = {{"role", "assistant"}, {"content", r.call && r.content.empty() ? json(nullptr) : json(r.content)}};
  if (!r.reasoning.empty()) message["reasoning_content"] = r.reasoning;
  if (r.call) message["tool_calls"] = json::array({tool_call(*r.call, random_id("call_"))});
  return {{"id", h.id},
          {"object", "chat.completion"},
          {"created", h.created},
          {"model", h.model},
          {"choices", json::array({{{"index", 0},
                                    {"message", std::move(message)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", to_string(r.finish)}}})},
          {"usage", usage(r)}};
}

// One streamed chunk; `finish` is null until the last.
inline json chat_chunk(const response_header& h, json delta, const char* finish = nullptr) {
  return {{"id", h.id},
          {"object", "chat.completion.chunk"},
          {"created", h.created},
          {"model", h.model},
          {"choices", json::array({{{"index", 0},
                                    {"delta", std::move(delta)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish ? json(finish) : json(nullptr)}}})}};
}

inline json chat_delta(const chat::delta& d) {
  json j = json::object();
  if (!d.reasoning.empty()) j["reasoning_content"] = d.reasoning;
  if (!d.content.empty()) j["content"] = d.content;
  return j;
}

// The delta that carries a tool call, whole (the call is known only at the end).
inline json tool_call_delta(const chat::tool_call& call) {
  json c = tool_call(call, random_id("call_"));
  c.insert(c.begin(), {"index", 0});
  return {{"tool_calls", json::array({std::move(c)})}};
}

// stream_options.include_usage: a last chunk with no choices and the usage.
inline json usage_chunk(const response_header& h, const completion_result& r, std::string_view object) {
  return {{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model},
          {"choices", json::array()}, {"usage", usage(r)}};
}

inline json completion_response(const response_header& h, const completion_result& r) {
  return {{"id", h.id},
          {"object", "text_completion"},
          {"created", h.created},
          {"model", h.model},
          {"choices", json::array({{{"index", 0},
                                    {"text", r.content},
                                    {"logprobs", nullptr},
                                    {"finish_reason", to_string(r.finish)}}})},
          {"usage", usage(r)}};
}

inline json completion_chunk(const response_header& h, const std::string& text, const char* finish = nullptr) {
  return {{"id", h.id},
          {"object", "text_completion"},
          {"created", h.created},
          {"model", h.model},
          {"choices", json::array({{{"index", 0},
                                    {"text", text},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish ? json(finish) : json(nullptr)}}})}};
}

inline json models(const std::string& id, std::int64_t created) {
  return {{"object", "list"},
          {"data", json::array({{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "glm4.hpp"}}})}};
}

}  // namespace glm4::inline GLM4_TARGET::server::openai
