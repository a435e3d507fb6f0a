// glm4 chat MODEL: an interactive conversation on stdin/stdout. Each line is
// a user turn (/reset starts over, /exit or end of input quits); the reply
// streams as it decodes. The KV cache is kept across turns: the conversation
// is re-rendered each turn and only what extends the cached tokens is
// prefilled. Ctrl-C stops the reply being written; at the prompt, a second
// Ctrl-C in a row quits.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "draft_flags.hpp"
#include "model_loading.hpp"
#include "sampling_options.hpp"

namespace glm4::app {
namespace {

struct chat_options {
  model_options model;
  sampling_options sampling;
  draft_options drafts;
  std::string system;
};

// Ctrl-C presses since the flag was last cleared; a lock-free atomic is safe
// to touch from a signal handler.
std::atomic<int> interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_interrupt(int) { interrupts.fetch_add(1, std::memory_order_relaxed); }

// No SA_RESTART: a Ctrl-C while reading the next line ends that read, so
// the loop sees it at once.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

// Prints a reply as it streams. A Z1 model thinks first, until "</think>":
// on a terminal that part is dimmed; otherwise it stands between lines
// "[thinking]" and "[/thinking]". A tail that may begin the marker is held
// back until the next piece settles it.
class reply_printer {
 public:
  reply_printer(bool thinking, bool terminal) : thinking_(thinking), terminal_(terminal) {
    if (thinking_) std::cout << (terminal_ ? "\x1b[2m" : "[thinking]\n");
  }
  void write(const std::string& text) {
    pending_ += text;
    if (thinking_) {
      if (const auto end = pending_.find(marker); end != std::string::npos) {
        std::cout << pending_.substr(0, end);
        end_thinking();
        pending_.erase(0, end + marker.size());
      }
    }
    const std::size_t keep = thinking_ ? std::min(pending_.size(), marker.size() - 1) : 0;
    std::cout << pending_.substr(0, pending_.size() - keep) << std::flush;
    pending_.erase(0, pending_.size() - keep);
  }
  void finish() {
    std::cout << pending_;
    pending_.clear();
    if (thinking_) end_thinking();
    std::cout << '\n' << std::flush;
  }

 private:
  void end_thinking() {
    std::cout << (terminal_ ? "\x1b[0m\n" : "\n[/thinking]\n");
    thinking_ = false;
  }
  static constexpr std::string_view marker = "</think>";
  bool thinking_;
  bool terminal_;
  std::string pending_;
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

int chat(const chat_options& o) {
  const loaded_model m = load_model(o.model);
  const bool stdin_terminal = isatty(STDIN_FILENO) != 0;
  const bool stdout_terminal = isatty(STDOUT_FILENO) != 0;
  auto session = m.new_session(o.model);
  const auto params = sampler_params(o.sampling, m.tokenizer);

  std::vector<chat::message> history;
  if (!o.system.empty()) history.push_back({.role = "system", .content = o.system});
  const std::size_t kept = history.size();  // what /reset leaves
  std::vector<std::int32_t> cached;         // the tokens the session's KV cache holds
  catch_interrupts();
  if (stdin_terminal && !o.model.quiet)
    std::cerr << "glm4: type a message; /reset starts over, /exit or Ctrl-D quits, Ctrl-C stops a reply\n";

  std::uint64_t turn = 0;
  int prompt_interrupts = 0;
  std::string line;
  for (;;) {
    if (stdin_terminal) std::cout << "> " << std::flush;
    interrupts.store(0);
    if (!std::getline(std::cin, line)) {
      if (interrupts.load() == 0) break;  // end of input
      std::cin.clear();
      std::clearerr(stdin);
      if (++prompt_interrupts >= 2) break;
      std::cout << "\n(Ctrl-C again, /exit or Ctrl-D to quit)\n";
      continue;
    }
    prompt_interrupts = 0;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      history.resize(kept);
      session.reset();
      cached.clear();
      if (!o.model.quiet) std::cerr << "glm4: conversation cleared\n";
      continue;
    }
    if (line.empty()) continue;

    history.push_back({.role = "user", .content = line});
    const auto prompt =
        m.tokenizer.encode(chat::render(history, {}, m.chat_format, true), special_tokens::allow);
    if (static_cast<std::int64_t>(prompt.size()) >= session.context()) {
      std::cerr << "glm4: the conversation is " << prompt.size() << " tokens, past the context of "
                << session.context() << " (-c); /reset starts over\n";
      history.pop_back();
      continue;
    }
    // Reuse the cached tokens the new prompt starts with; at least one token
    // is prefilled, for its logits.
    std::size_t common = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first - cached.begin();
    common = std::min(common, prompt.size() - 1);
    if (static_cast<std::int64_t>(common) < session.position()) session.rewind(static_cast<std::int64_t>(common));

    auto turn_params = params;
    turn_params.seed = params.seed + turn++;
    sampling::sampler sampler(turn_params);
    sampler.accept(prompt);
    stream_decoder decoder(m.tokenizer);
    chat::reply_stream filter(chat::reply_stream::mode::text, o.sampling.stop);
    reply_printer out(m.chat_format == chat::format::glm_z1, stdout_terminal);

    const auto start = std::chrono::steady_clock::now();
    token_generator gen(session, sampler, prompt, session.prefill(std::span(prompt).subspan(common)), o.drafts);
    const double prompt_ms = ms_since(start);
    const auto decode_start = std::chrono::steady_clock::now();
    std::string text;
    std::int64_t generated = 0;
    bool interrupted = false, context_full = false;
    const auto show = [&](const std::string& piece) {
      text += piece;
      out.write(piece);
    };
    while (o.sampling.n_predict < 0 || generated < o.sampling.n_predict) {
      if (interrupts.load() > 0) {
        interrupted = true;
        break;
      }
      const std::int32_t id = gen.next(remaining(o.sampling.n_predict, generated));
      ++generated;
      if (sampler.is_stop(id)) break;
      show(filter.write(decoder.push(id)).content);
      if (filter.stopped()) break;
      if (!gen.has_room()) {
        context_full = true;
        break;
      }
    }
    // The cache as plain decoding leaves it: the prompt and the reply but
    // its last token, for the next turn to reuse.
    gen.settle();
    const auto held = gen.history().first(static_cast<std::size_t>(gen.position()));
    cached.assign(held.begin(), held.end());
    show(filter.write(decoder.flush()).content);
    show(filter.finish().content);
    out.finish();
    const double decode_ms = ms_since(decode_start);
    if (interrupted) std::cerr << "glm4: reply stopped (Ctrl-C)\n";
    if (context_full) std::cerr << "glm4: the context is full (" << session.context() << " tokens, -c); /reset starts over\n";
    if (!o.model.quiet) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(2) << "glm4: prompt " << prompt.size() - common << " new tokens ("
        << common << " cached), " << prompt_ms << " ms | generated " << generated << " tokens, " << decode_ms << " ms";
      if (generated > 1)
        s << " (" << std::setprecision(1) << 1e3 * static_cast<double>(generated - 1) / decode_ms << " t/s)";
      print_draft_stats(s, gen.stats());
      std::cerr << s.str() << '\n';
    }

    const auto reply = chat::parse_reply(text, m.chat_format);
    chat::message said{.role = "assistant", .content = reply.answer};
    if (reply.call) {
      said.metadata = reply.call->name;
      said.content =
          reply.call->arguments.is_string() ? reply.call->arguments.get<std::string>() : reply.call->arguments.dump();
    }
    history.push_back(std::move(said));
  }
  return exit_ok;
}

}  // namespace

void add_chat_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<chat_options>();
  auto* cmd = app.add_subcommand("chat", "talk with a chat model on stdin/stdout (/reset, /exit)");
  add_model_options(*cmd, o->model);
  cmd->add_option("--system,--system-prompt", o->system, "system prompt (also -sys)");
  add_sampling_options(*cmd, o->sampling);
  add_draft_options(*cmd, o->drafts);
  cmd->callback([o, &exit_code] {
    check_draft_options(o->drafts);
    exit_code = chat(*o);
  });
}

}  // namespace glm4::app
