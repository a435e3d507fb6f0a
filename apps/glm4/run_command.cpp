// glm4 run MODEL -p TEXT: continues a prompt, printing the text as it decodes;
// with --ids the prompt and the output are token ids (examples/generate's
// former interface, --dump-logits included).
#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "draft_flags.hpp"
#include "model_loading.hpp"
#include "sampling_options.hpp"

namespace glm4::app {
namespace {

struct run_options {
  model_options model;
  sampling_options sampling;
  draft_options drafts;
  std::string prompt;
  std::string prompt_file;
  bool ids = false;
  bool special = false;
  std::string dump_logits;
};

// "1,2,3" → {1, 2, 3}; anything else is a usage error (exit 2).
std::vector<std::int32_t> parse_ids(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<std::int32_t> ids;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    std::int32_t id = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || id < 0)
      throw CLI::ValidationError("--ids", "the prompt must be comma-separated token ids (\"1,2,3\"); \"" +
                                              std::string(item) + "\" is not a token id");
    ids.push_back(id);
    if (comma == std::string_view::npos) return ids;
    start = comma + 1;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot read the prompt file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_logits(const std::string& path, std::span<const float> logits) {
  static_assert(std::endian::native == std::endian::little, "--dump-logits writes the host's float32 layout");
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size_bytes()));
  if (!out) throw io_error("cannot write " + path);
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

void check_ids(std::span<const std::int32_t> ids, std::int64_t vocab) {
  for (const auto id : ids)
    if (id >= vocab)
      throw invalid_argument("prompt token id " + std::to_string(id) + " is past the vocabulary of " +
                             std::to_string(vocab) + " tokens");
}

void check_room(std::int64_t prompt_len, std::int64_t n, std::int64_t context) {
  if (prompt_len > context)
    throw context_overflow("the prompt is " + std::to_string(prompt_len) + " tokens, past the context of " +
                           std::to_string(context) + " (-c)");
  // The last generated token is never fed back, so it needs no cache row.
  if (n > 0 && prompt_len + n - 1 > context)
    throw context_overflow("the prompt's " + std::to_string(prompt_len) + " tokens and -n " + std::to_string(n) +
                           " new ones need a context of " + std::to_string(prompt_len + n - 1) + ", -c is " +
                           std::to_string(context));
}

// The part of `text` past `printed` bytes that is final: SentencePiece
// decodes an unfinished UTF-8 sequence as U+FFFD, which the next piece may
// complete, so a trailing one waits.
std::string_view settled(std::string_view text, std::size_t printed) {
  constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::size_t end = text.size();
  while (end >= printed + replacement.size() && text.substr(0, end).ends_with(replacement)) end -= replacement.size();
  return printed < end ? text.substr(printed, end - printed) : std::string_view();
}

// GLM-130B: fills the prompt's blanks one after another as GLM-130B's
// generate.py does ([MASK] / [sMASK] in the text, else a [gMASK] appended),
// streaming each blank's answer on a line of its own.
// `text_ids`: the prompt with --ids, already parsed.
int run_blank_filling(const run_options& o, const std::string& prompt_text, std::vector<std::int32_t> text_ids,
                      const model_file& file) {
  const loaded_blank_model m = load_blank_model(o.model, file);
  if (o.ids) {
    check_ids(text_ids, m.model.shape().vocab_size);
  } else {
    text_ids = encode_with_masks(prompt_text, m.ids, [&](std::string_view s) { return m.tokenizer.encode(s); });
  }
  if (text_ids.empty()) throw invalid_argument("the prompt is empty");
  auto prompt = blank_prompt_ids(text_ids, m.ids);
  const std::int32_t blank_kind = prompt[blank_position(prompt, m.ids)];
  const auto context = m.context, n = o.sampling.n_predict;

  auto session = m.new_session(o.model);
  if (!o.dump_logits.empty()) {
    check_room(static_cast<std::int64_t>(prompt.size()), 0, context);
    write_logits(o.dump_logits, session.prefill(prompt, logits_for::all, blank_layout(prompt, m.ids)));
  }
  sampling::sampler sampler(sampler_params(o.sampling, {m.ids.eop, m.ids.eos}));
  const auto start = std::chrono::steady_clock::now();
  std::int64_t generated = 0;
  for (;;) {
    check_room(static_cast<std::int64_t>(prompt.size()), n, context);
    session.reset();
    sampler.reset();  // each blank is a sequence of its own
    sampler.accept(prompt);
    const auto prompt_logits = session.prefill(prompt, logits_for::last, blank_layout(prompt, m.ids));
    token_generator gen(session, sampler, prompt, prompt_logits, o.drafts);
    std::vector<std::int32_t> answer;
    std::size_t printed = 0;
    bool context_full = false;
    while (n != 0) {
      const std::int32_t id = gen.next(remaining(n, static_cast<std::int64_t>(answer.size())));
      answer.push_back(id);
      ++generated;
      const bool stop = sampler.is_stop(id);
      if (o.ids) {
        std::cout << (answer.size() > 1 ? " " : "") << id << std::flush;
      } else if (!stop) {
        const std::string text = m.tokenizer.decode(answer);
        const auto fresh = settled(text, printed);
        std::cout << fresh << std::flush;
        printed += fresh.size();
      }
      if (stop || static_cast<std::int64_t>(answer.size()) == n) break;
      if (!gen.has_room()) {
        context_full = true;
        break;
      }
    }
    if (!o.ids) std::cout << m.tokenizer.decode(answer).substr(printed);
    std::cout << '\n' << std::flush;
    if (context_full && !o.model.quiet)
      std::cerr << "glm4: stopped at the end of the context (" << context << " tokens, -c)\n";
    auto filled = fill_blank(prompt, answer, m.ids);
    if (std::find(filled.begin(), filled.end(), blank_kind) == filled.end()) break;
    filled.push_back(m.ids.sop);
    prompt = std::move(filled);
  }
  if (!o.model.quiet)
    std::cerr << "glm4: load " << std::fixed << std::setprecision(2) << m.load_seconds * 1e3 << " ms | generated "
              << generated << " tokens in " << ms_since(start) << " ms\n";
  return exit_ok;
}

int run(const run_options& o) {
  // Flags that make no sense together fail before the model loads.
  check_draft_options(o.drafts);
  std::string prompt_text = o.prompt_file.empty() ? o.prompt : read_file(o.prompt_file);
  std::vector<std::int32_t> prompt;
  if (o.ids) prompt = parse_ids(prompt_text);
  const auto file = model_file::open(o.model.path);
  if (is_blank_filling_model(file)) return run_blank_filling(o, prompt_text, std::move(prompt), file);

  const loaded_model m = load_model(o.model, file);
  const auto vocab = static_cast<std::int64_t>(m.model.shape().vocab_size);
  if (o.ids) {
    check_ids(prompt, vocab);
  } else {
    prompt = m.tokenizer.encode(prompt_text, o.special ? special_tokens::allow : special_tokens::none);
  }
  if (prompt.empty()) throw invalid_argument("the prompt is empty");
  const auto context = o.model.context;
  const auto n = o.sampling.n_predict;
  const auto prompt_len = static_cast<std::int64_t>(prompt.size());
  check_room(prompt_len, n, context);

  auto session = m.new_session(o.model);
  if (!o.dump_logits.empty()) {
    write_logits(o.dump_logits, session.prefill(prompt, logits_for::all));
    session.reset();
  }

  sampling::sampler sampler(sampler_params(o.sampling, m.tokenizer));
  sampler.accept(prompt);
  stream_decoder decoder(m.tokenizer);
  chat::reply_stream filter(chat::reply_stream::mode::text, o.sampling.stop);
  const auto show = [](const std::string& text) {
    if (!text.empty()) std::cout << text << std::flush;
  };

  const auto start = std::chrono::steady_clock::now();
  token_generator gen(session, sampler, prompt, session.prefill(prompt), o.drafts);
  const double prompt_ms = ms_since(start);
  const auto decode_start = std::chrono::steady_clock::now();
  std::int64_t generated = 0;
  bool context_full = false;
  while (n != 0) {
    const std::int32_t id = gen.next(remaining(n, generated));
    ++generated;
    const bool stop = sampler.is_stop(id);
    if (o.ids) {
      std::cout << (generated > 1 ? " " : "") << id << std::flush;
    } else if (!stop) {
      show(filter.write(decoder.push(id)).content);
      if (filter.stopped()) break;
    }
    if (stop || generated == n) break;
    if (!gen.has_room()) {
      context_full = true;
      break;
    }
  }
  if (o.ids) {
    std::cout << '\n';
  } else {
    show(filter.write(decoder.flush()).content);
    show(filter.finish().content);
    std::cout << '\n' << std::flush;
  }
  const double decode_ms = ms_since(decode_start);

  if (context_full && !o.model.quiet)
    std::cerr << "glm4: stopped at the end of the context (" << context << " tokens, -c)\n";
  if (!o.model.quiet) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << "glm4: load " << m.load_seconds * 1e3 << " ms | prompt " << prompt_len
      << " tokens, " << prompt_ms << " ms (" << std::setprecision(1) << 1e3 * static_cast<double>(prompt_len) / prompt_ms
      << " t/s) | generated " << generated << " tokens, " << std::setprecision(2) << decode_ms << " ms";
    // The first token came with the prompt's logits.
    if (generated > 1)
      s << " (" << std::setprecision(1) << 1e3 * static_cast<double>(generated - 1) / decode_ms << " t/s)";
    print_draft_stats(s, gen.stats());
    std::cerr << s.str() << '\n';
  }
  return exit_ok;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<run_options>();
  auto* cmd = app.add_subcommand("run", "continue a prompt (fill its blanks, for GLM-130B), streaming the text");
  add_model_options(*cmd, o->model);
  auto* prompt = cmd->add_option("-p,--prompt", o->prompt, "the prompt (plain text; token ids with --ids)");
  auto* file = cmd->add_option("-f,--file", o->prompt_file, "read the prompt from this file")->check(CLI::ExistingFile);
  prompt->excludes(file);
  cmd->add_flag("--special", o->special, "read special tokens in the prompt text (<|user|>, [gMASK]) as such");
  cmd->add_flag("--ids", o->ids,
                "the prompt is comma-separated token ids; print the generated ids on one line instead of text");
  cmd->add_option("--dump-logits", o->dump_logits,
                  "write the prompt's logits to FILE: prompt length x vocabulary float32 little-endian rows");
  add_sampling_options(*cmd, o->sampling);
  add_draft_options(*cmd, o->drafts);
  cmd->callback([o, &exit_code, prompt, file] {
    if (prompt->count() == 0 && file->count() == 0) throw CLI::RequiredError("-p,--prompt or -f,--file");
    exit_code = run(*o);
  });
}

}  // namespace glm4::app
