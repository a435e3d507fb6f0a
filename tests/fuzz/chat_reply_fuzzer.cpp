// The reply parsers on arbitrary model output, as valid UTF-8 reaches them
// through a stream_decoder.
//
// parse_reply never throws (the output is the model's, not the caller's) and
// a call it returns is one: a name without spaces, object arguments for a
// declared function. reply_stream gives the same text however the output is
// cut into pieces, and agrees with parse_reply, the whole-reply parser:
// text mode passes everything before the first stop string; a chat answer is
// that text stripped; Z1's reasoning and answer are what parse_reply splits,
// where the stream can know the split (at most one "</think>": parse_reply
// ends thinking at the last one, which a stream cannot wait for). A held
// answer, which can wait, always agrees: server::parse_answer gives
// parse_reply's answer and call.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/chat/python_text.hpp"
#include "glm4/chat/reply.hpp"
#include "glm4/chat/reply_stream.hpp"
#include "glm4/server/completion.hpp"
#include "text_fuzz_support.hpp"

namespace {

namespace chat = glm4::chat;
using mode = chat::reply_stream::mode;

struct streamed {
  chat::delta shown;  // every delta joined
  std::string raw_answer;
  bool stopped;
};

streamed run_stream(mode m, const std::vector<std::string>& stops, bool hold_answer,
                    const std::vector<std::string>& pieces) {
  chat::reply_stream stream(m, stops, hold_answer);
  streamed out{};
  const auto add = [&](const chat::delta& d) {
    out.shown.reasoning += d.reasoning;
    out.shown.content += d.content;
  };
  for (const std::string& piece : pieces) {
    add(stream.write(piece));
    if (stream.stopped()) break;
  }
  add(stream.finish());
  out.raw_answer = stream.raw_answer();
  out.stopped = stream.stopped();
  return out;
}

void check_call(const chat::reply& r) {
  if (!r.call) return;
  const chat::tool_call& call = *r.call;
  if (call.name.empty() || chat::detail::has_inner_space(call.name)) __builtin_trap();
  if (!chat::detail::is_builtin_tool(call.name) && !call.arguments.is_object()) __builtin_trap();
}

std::size_t count(std::string_view text, std::string_view mark) {
  std::size_t n = 0;
  for (std::size_t at = text.find(mark); at != std::string_view::npos; at = text.find(mark, at + mark.size())) ++n;
  return n;
}

// Streamed whole and in pieces, then held back for a possible tool call;
// returns the stream's view of the whole text.
streamed check_stream(mode m, const std::vector<std::string>& stops, const std::string& text, std::size_t piece_bytes) {
  const streamed whole = run_stream(m, stops, false, {text});
  const streamed cut = run_stream(m, stops, false, glm4::fuzz::pieces_of(text, piece_bytes));
  if (cut.shown.content != whole.shown.content || cut.shown.reasoning != whole.shown.reasoning ||
      cut.raw_answer != whole.raw_answer || cut.stopped != whole.stopped)
    __builtin_trap();
  const streamed held = run_stream(m, stops, true, glm4::fuzz::pieces_of(text, piece_bytes));
  if (held.raw_answer != whole.raw_answer || held.shown.reasoning != whole.shown.reasoning) __builtin_trap();
  if (m != mode::text && !held.shown.content.empty()) __builtin_trap();
  return whole;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  std::vector<std::string> stops(input.ConsumeIntegralInRange(0, 2));
  for (std::string& stop : stops) stop = input.ConsumeRandomLengthString(8);
  const auto piece_bytes = input.ConsumeIntegralInRange<std::size_t>(1, 16);
  const std::string text = input.ConsumeRemainingBytesAsString();
  for (const chat::format f : {chat::format::glm4_chat, chat::format::glm_z1, chat::format::glm4_0414})
    check_call(chat::parse_reply(text, f));

  if (!glm4::fuzz::is_valid_utf8(text)) return 0;
  for (const std::string& stop : stops)
    if (!glm4::fuzz::is_valid_utf8(stop)) return 0;
  std::size_t first_stop = std::string::npos;
  for (const std::string& stop : stops)
    if (!stop.empty()) first_stop = std::min(first_stop, text.find(stop));
  const std::string before_stop = text.substr(0, first_stop);
  const std::string_view lead = chat::python_strip(before_stop);

  if (check_stream(mode::text, stops, text, piece_bytes).shown.content != before_stop) __builtin_trap();

  const streamed answer = check_stream(mode::chat, stops, text, piece_bytes);
  if (answer.shown.content != lead) __builtin_trap();
  // parse_reply reads the same answer where it finds no thinking, no second block and no call.
  const chat::reply reply = chat::parse_reply(before_stop, chat::format::glm4_0414);
  const bool one_block = before_stop.find("<|assistant|>") == std::string::npos;
  if (one_block && !lead.starts_with("<think>") && !reply.call && reply.answer != answer.shown.content) __builtin_trap();

  const streamed z1 = check_stream(mode::chat_thinking, stops, text, piece_bytes);
  if (z1.shown.content != chat::python_strip(z1.raw_answer)) __builtin_trap();
  const chat::reply whole = chat::parse_reply(before_stop, chat::format::glm_z1);
  if (count(before_stop, "</think>") <= 1 && !lead.starts_with("<think>") && z1.shown.reasoning != whole.thinking)
    __builtin_trap();
  // With tools the server holds the answer and parses it alone at the end.
  const chat::reply held = glm4::server::parse_answer(z1.raw_answer, chat::format::glm_z1);
  if (held.answer != whole.answer || held.call.has_value() != whole.call.has_value()) __builtin_trap();
  return 0;
}
