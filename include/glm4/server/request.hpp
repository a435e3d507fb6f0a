// OpenAI request bodies → validated request structs. Every refusal is a 400
// api_error whose message and `param` name the field at fault
// ("messages[2].role"), so a client sees what to fix. Fields the server does
// not act on (user, logit_bias, response_format...) are accepted and ignored,
// as OpenAI clients send some of them by default; fields that would change the
// answer in a way the server cannot honour (n > 1, logprobs) are refused.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/chat/message.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/sampling/params.hpp"
#include "glm4/server/api_error.hpp"

namespace glm4::inline GLM4_TARGET::server {

using json = nlohmann::ordered_json;

// What every generation request shares.
struct generation_request {
  std::string model;                      // as sent; the server answers with its own id
  bool stream = false;
  bool include_usage = false;             // stream_options.include_usage: a last chunk with usage
  std::optional<std::int64_t> max_tokens; // unset: the server's default cap
  std::vector<std::string> stop;          // stop strings, cut from the text
  std::optional<std::uint64_t> seed;      // unset: a fresh random seed per request
  bool ignore_eos = false;                // llama-server's: generate past end-of-turn tokens
  // temperature, top_p, top_k, min_p, penalties; stop_ids and seed are the
  // server's to fill in.
  sampling::params sampling;
};

struct chat_request : generation_request {
  std::vector<chat::message> messages;
  std::vector<json> tools;  // OpenAI `tools`, passed to the chat template as they are
};

struct completion_request : generation_request {
  std::string prompt;
};

namespace detail {

inline const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

[[noreturn]] inline void wrong_type(const std::string& field, const char* expected, const json& got) {
  throw bad_request("'" + field + "' must be " + expected + ", got " + type_name(got), field);
}

// The member `key` of `body`, unless absent or null (clients send null for
// "default").
inline const json* member(const json& body, const char* key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

inline std::optional<double> number(const json& body, const char* key, double low, double high) {
  const json* v = member(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(key, "a number", *v);
  const double x = v->get<double>();
  if (!(x >= low && x <= high))
    throw bad_request("'" + std::string(key) + "' must be between " + json(low).dump() + " and " +
                          json(high).dump() + ", got " + v->dump(),
                      key);
  return x;
}

inline std::optional<std::int64_t> integer(const json& body, const char* key, std::int64_t low) {
  const json* v = member(body, key);
  if (!v) return std::nullopt;
  const bool whole = v->is_number_integer() ||
                     (v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>() &&
                      std::abs(v->get<double>()) < 9e18);
  if (!whole) wrong_type(key, "an integer", *v);
  const auto x = v->is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(v->get<std::uint64_t>(), INT64_MAX))
                                         : v->get<std::int64_t>();
  if (x < low) throw bad_request("'" + std::string(key) + "' must be at least " + std::to_string(low) + ", got " + v->dump(), key);
  return x;
}

inline std::optional<bool> boolean(const json& body, const char* key) {
  const json* v = member(body, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(key, "a boolean", *v);
  return v->get<bool>();
}

inline std::string string_field(const json& body, const std::string& key, const std::string& where) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) wrong_type(where, "a string", *it);
  return it->get<std::string>();
}

// Message content: a string, or OpenAI's array of parts of which only text
// parts can be run here.
inline std::string content_text(const json& content, const std::string& where) {
  if (content.is_null()) return {};
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) wrong_type(where, "a string or an array of text parts", content);
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!part.is_object()) wrong_type(at, "an object", part);
    const std::string type = string_field(part, "type", at + ".type");
    if (type != "text")
      throw bad_request("'" + at + ".type' is \"" + type + "\"; this server takes only text parts", at + ".type");
    text += string_field(part, "text", at + ".text");
  }
  return text;
}

inline void parse_common(const json& body, generation_request& r) {
  if (!body.is_object()) wrong_type("body", "a JSON object", body);
  r.model = string_field(body, "model", "model");
  r.stream = boolean(body, "stream").value_or(false);
  if (const json* so = member(body, "stream_options")) {
    if (!so->is_object()) wrong_type("stream_options", "an object", *so);
    if (const json* u = member(*so, "include_usage")) {
      if (!u->is_boolean()) wrong_type("stream_options.include_usage", "a boolean", *u);
      r.include_usage = u->get<bool>();
    }
  }
  if (auto n = integer(body, "n", 1); n && *n != 1)
    throw bad_request("'n' must be 1: this server returns one choice per request", "n");
  if (boolean(body, "logprobs").value_or(false))
    throw bad_request("'logprobs' is not supported by this server", "logprobs");
  if (const json* lp = member(body, "logprobs"); lp && lp->is_number() && lp->get<double>() > 0)
    throw bad_request("'logprobs' is not supported by this server", "logprobs");

  r.max_tokens = integer(body, "max_completion_tokens", 1);
  if (!r.max_tokens) r.max_tokens = integer(body, "max_tokens", 1);

  if (const json* stop = member(body, "stop")) {
    if (stop->is_string()) {
      r.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      if (stop->size() > 16) throw bad_request("'stop' holds at most 16 strings, got " + std::to_string(stop->size()), "stop");
      for (std::size_t i = 0; i < stop->size(); ++i) {
        if (!(*stop)[i].is_string()) wrong_type("stop[" + std::to_string(i) + "]", "a string", (*stop)[i]);
        r.stop.push_back((*stop)[i].get<std::string>());
      }
    } else {
      wrong_type("stop", "a string or an array of strings", *stop);
    }
    std::erase_if(r.stop, [](const std::string& s) { return s.empty(); });
  }

  if (const json* seed = member(body, "seed")) {
    if (!seed->is_number_integer()) wrong_type("seed", "an integer", *seed);
    r.seed = seed->is_number_unsigned() ? seed->get<std::uint64_t>()
                                        : static_cast<std::uint64_t>(seed->get<std::int64_t>());
  }

  r.ignore_eos = boolean(body, "ignore_eos").value_or(false);

  sampling::params& p = r.sampling;
  if (auto t = number(body, "temperature", 0.0, 2.0)) p.temperature = static_cast<float>(*t);
  if (auto t = number(body, "top_p", 0.0, 1.0)) {
    // top_p 0 keeps only the most likely token, which is what greedy does.
    if (*t == 0.0) p.temperature = 0.0f; else p.top_p = static_cast<float>(*t);
  }
  if (auto k = integer(body, "top_k", 0)) p.top_k = static_cast<std::int32_t>(std::min<std::int64_t>(*k, INT32_MAX));
  if (auto m = number(body, "min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*m);
  if (auto x = number(body, "presence_penalty", -2.0, 2.0)) p.presence_penalty = static_cast<float>(*x);
  if (auto x = number(body, "frequency_penalty", -2.0, 2.0)) p.frequency_penalty = static_cast<float>(*x);
  // llama-server's name and HF's for the same thing.
  for (const char* key : {"repeat_penalty", "repetition_penalty"})
    if (auto x = number(body, key, 1e-3, 1e3)) p.repetition_penalty = static_cast<float>(*x);
}

inline void parse_message(const json& m, std::size_t i, std::vector<chat::message>& out) {
  const std::string at = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) wrong_type(at, "an object", m);
  const auto role_it = m.find("role");
  if (role_it == m.end()) throw bad_request("'" + at + ".role' is missing", at + ".role");
  if (!role_it->is_string()) wrong_type(at + ".role", "a string", *role_it);
  std::string role = role_it->get<std::string>();
  const std::string text = content_text(m.contains("content") ? m["content"] : json(nullptr), at + ".content");
  if (role == "developer") role = "system";
  if (role == "tool") role = "observation";
  if (role != "system" && role != "user" && role != "assistant" && role != "observation")
    throw bad_request("'" + at + ".role' is \"" + role_it->get<std::string>() +
                          "\"; expected system, developer, user, assistant or tool",
                      at + ".role");
  chat::message msg{role, text, {}};
  // An assistant turn that called tools: GLM-4 writes each call as a turn
  // whose metadata is the tool's name and whose content is its arguments.
  if (const json* calls = role == "assistant" ? member(m, "tool_calls") : nullptr) {
    if (!calls->is_array()) wrong_type(at + ".tool_calls", "an array", *calls);
    if (!msg.content.empty()) out.push_back(msg);
    for (std::size_t k = 0; k < calls->size(); ++k) {
      const std::string call_at = at + ".tool_calls[" + std::to_string(k) + "]";
      const json& call = (*calls)[k];
      if (!call.is_object()) wrong_type(call_at, "an object", call);
      const auto fn = call.find("function");
      if (fn == call.end() || !fn->is_object()) throw bad_request("'" + call_at + ".function' must be an object", call_at + ".function");
      const std::string name = string_field(*fn, "name", call_at + ".function.name");
      if (name.empty()) throw bad_request("'" + call_at + ".function.name' is missing", call_at + ".function.name");
      const auto args = fn->find("arguments");
      std::string arguments = args == fn->end() || args->is_null() ? "{}" : args->is_string() ? args->get<std::string>() : args->dump();
      out.push_back({"assistant", std::move(arguments), name});
    }
    return;
  }
  out.push_back(std::move(msg));
}

}  // namespace detail

inline chat_request parse_chat_request(const json& body) {
  chat_request r;
  detail::parse_common(body, r);
  const json* messages = detail::member(body, "messages");
  if (!messages) throw bad_request("'messages' is missing", "messages");
  if (!messages->is_array()) detail::wrong_type("messages", "an array", *messages);
  if (messages->empty()) throw bad_request("'messages' is empty", "messages");
  for (std::size_t i = 0; i < messages->size(); ++i) detail::parse_message((*messages)[i], i, r.messages);

  const json* tools = detail::member(body, "tools");
  if (tools) {
    if (!tools->is_array()) detail::wrong_type("tools", "an array", *tools);
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const json& t = (*tools)[i];
      const std::string at = "tools[" + std::to_string(i) + "]";
      if (!t.is_object()) detail::wrong_type(at, "an object", t);
      if (detail::string_field(t, "type", at + ".type") != "function")
        throw bad_request("'" + at + ".type' must be \"function\"", at + ".type");
      const auto fn = t.find("function");
      if (fn == t.end() || !fn->is_object()) throw bad_request("'" + at + ".function' must be an object", at + ".function");
      if (detail::string_field(*fn, "name", at + ".function.name").empty())
        throw bad_request("'" + at + ".function.name' is missing", at + ".function.name");
      r.tools.push_back(t);
    }
  }
  if (const json* choice = detail::member(body, "tool_choice")) {
    if (choice->is_string()) {
      const auto c = choice->get<std::string>();
      if (c == "none") r.tools.clear();  // the model is not told about them
      else if (c != "auto" && c != "required")
        throw bad_request("'tool_choice' must be \"none\", \"auto\", \"required\" or an object, got \"" + c + "\"", "tool_choice");
    } else if (!choice->is_object()) {
      detail::wrong_type("tool_choice", "a string or an object", *choice);
    }
  }
  return r;
}

inline completion_request parse_completion_request(const json& body) {
  completion_request r;
  detail::parse_common(body, r);
  const json* prompt = detail::member(body, "prompt");
  if (!prompt) throw bad_request("'prompt' is missing", "prompt");
  if (prompt->is_array()) {
    if (prompt->size() != 1) throw bad_request("'prompt' must be one string: this server runs one prompt per request", "prompt");
    if (!(*prompt)[0].is_string()) detail::wrong_type("prompt[0]", "a string", (*prompt)[0]);
    r.prompt = (*prompt)[0].get<std::string>();
  } else if (prompt->is_string()) {
    r.prompt = prompt->get<std::string>();
  } else {
    detail::wrong_type("prompt", "a string", *prompt);
  }
  return r;
}

}  // namespace glm4::inline GLM4_TARGET::server
