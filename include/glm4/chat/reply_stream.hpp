// Generated text on its way to a reader, piece by piece: cut at the first
// stop string, split into Z1's reasoning and the answer, trimmed as
// parse_reply trims (mode::text only cuts at stops). The server's streamed
// and unstreamed replies and the glm4 command's output come out of this one
// filter, so their texts are equal by construction.
//
// Text that could still turn out to begin a stop string or "</think>" is held
// back until the next piece decides, so nothing shown is ever taken back.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "glm4/chat/python_text.hpp"

namespace glm4::chat {

struct delta {
  std::string reasoning;  // Z1's thinking (reasoning_content)
  std::string content;    // the answer
  bool empty() const { return reasoning.empty() && content.empty(); }
};

namespace detail {

// The length of the longest tail of `text` that is a proper prefix of one of
// `marks`: text that must wait for the next piece.
inline std::size_t undecided_tail(std::string_view text, const std::vector<std::string>& marks) {
  std::size_t keep = 0;
  for (const std::string& m : marks)
    for (std::size_t n = std::min(m.size() - 1, text.size()); n > keep; --n)
      if (text.substr(text.size() - n) == std::string_view(m).substr(0, n)) {
        keep = n;
        break;
      }
  return keep;
}

// Python's strip() applied to a stream: leading spaces are dropped, inner
// ones pass once more text follows, trailing ones are dropped at the end.
class stripped_channel {
 public:
  std::string write(std::string_view text) {
    pending_ += text;
    if (!started_) {
      const std::string_view s = python_strip(pending_);
      if (s.empty()) return {};  // all spaces so far (or an unfinished one)
      pending_.erase(0, static_cast<std::size_t>(s.data() - pending_.data()));
      started_ = true;
    }
    // "x" + pending: strip() then only removes the trailing spaces.
    const std::string marked = "x" + pending_;
    const std::size_t shown = python_strip(marked).size() - 1;
    std::string out = pending_.substr(0, shown);
    pending_.erase(0, shown);
    return out;
  }

 private:
  std::string pending_;
  bool started_ = false;
};

}  // namespace detail

class reply_stream {
 public:
  enum class mode {
    text,           // /v1/completions: the text as generated, only cut at stops
    chat,           // an answer, stripped
    chat_thinking,  // glm_z1: the prompt opened <think>; reasoning until </think>, then the answer
  };

  // hold_answer: keep the answer back until finish() (a request with tools:
  // the text may turn out to be a tool call, which is not shown as text).
  reply_stream(mode m, std::vector<std::string> stops, bool hold_answer = false)
      : mode_(m), stops_(std::move(stops)), hold_answer_(hold_answer), thinking_(m == mode::chat_thinking) {
    std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
  }

  // The part of `piece` (and of earlier held text) that can be shown now.
  delta write(std::string_view piece) {
    if (stopped_) return {};
    pending_ += piece;
    const std::size_t cut = first_stop();
    // Where a stop could still begin: a longer stop that began before `cut`
    // ("bc END" against "E" in "abc EN") may yet end the text earlier.
    const std::size_t undecided = pending_.size() - detail::undecided_tail(pending_, stops_);
    if (cut <= undecided) {
      stopped_ = true;
      pending_.resize(cut);
      return route(std::exchange(pending_, {}), true);
    }
    std::string ready = pending_.substr(0, undecided);
    pending_.erase(0, ready.size());
    return route(std::move(ready), false);
  }

  // What is left at the end of generation, cut at a stop it still holds.
  delta finish() {
    if (finished_) return {};
    if (const std::size_t cut = first_stop(); !stopped_ && cut != std::string::npos) {
      pending_.resize(cut);
      stopped_ = true;
    }
    delta d = route(std::exchange(pending_, {}), true);
    finished_ = true;
    return d;
  }

  // A stop string was found: generation should end.
  bool stopped() const { return stopped_; }
  // The answer as generated (unstripped), for tool-call parsing at the end.
  const std::string& raw_answer() const { return raw_answer_; }
  // Still inside Z1's <think> block.
  bool in_thinking() const { return thinking_; }

 private:
  // Where the first stop string in the held text begins, or npos.
  std::size_t first_stop() const {
    std::size_t at = std::string::npos;
    for (const std::string& s : stops_) at = std::min(at, pending_.find(s));
    return at;
  }

  delta route(std::string text, bool last) {
    delta d;
    if (thinking_) {
      think_ += text;
      text.clear();
      constexpr std::string_view close = "</think>";
      const std::size_t end = think_.find(close);
      if (end != std::string::npos) {
        text = think_.substr(end + close.size());
        think_.resize(end);
        thinking_ = false;
        d.reasoning = reasoning_.write(std::exchange(think_, {}));
      } else {
        const std::size_t keep = last ? 0 : detail::undecided_tail(think_, {std::string(close)});
        d.reasoning = reasoning_.write(std::string_view(think_).substr(0, think_.size() - keep));
        think_.erase(0, think_.size() - keep);
        return d;
      }
    }
    raw_answer_ += text;
    if (mode_ == mode::text) {
      d.content = std::move(text);
    } else if (!hold_answer_) {
      d.content = answer_.write(text);
    }
    return d;
  }

  mode mode_;
  std::vector<std::string> stops_;
  bool hold_answer_;
  bool thinking_;
  bool stopped_ = false, finished_ = false;
  std::string pending_;     // held for a possible stop string
  std::string think_;       // held for a possible "</think>"
  std::string raw_answer_;  // every answer byte routed so far
  detail::stripped_channel reasoning_, answer_;
};

}  // namespace glm4::chat
