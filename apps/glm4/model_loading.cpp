// The one translation unit that instantiates the library's file-type and
// configuration lists (open_model is a template over both); every other
// file of the command sees only any_model and any_session.
#include "model_loading.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <new>

#include <glm4/config/shipped_models.hpp>

#ifdef GLM4_USER_CONFIG_HEADER
#include GLM4_USER_CONFIG_HEADER
#endif

namespace glm4::app {

namespace {

// The released models, the small models tests/data ships (the README's first
// run), and a configuration of the user's (-DGLM4_USER_CONFIG=header.hpp).
template <class... Lists>
struct joined;
template <class... A, class... B, class... C>
struct joined<config_list<A...>, config_list<B...>, config_list<C...>> {
  using type = config_list<A..., B..., C...>;
};
#ifdef GLM4_USER_CONFIG_HEADER
using user_configs = config_list<glm4::user_config>;
#else
using user_configs = config_list<>;
#endif
using known_configs = joined<user_configs, presets::all, shipped_models::all>::type;

// llama.cpp's file types and GLM-130B's INT8 / INT4.
template <class... Lists>
struct joined_types;
template <class... A, class... B>
struct joined_types<file_types::list<A...>, file_types::list<B...>> {
  using type = file_types::list<A..., B...>;
};
using known_file_types = joined_types<file_types::all, file_types::list<file_types::int8, file_types::int4>>::type;

kv_cache_type parse_cache_type(const std::string& name) {
  for (const auto t : {kv_cache_type::f32, kv_cache_type::f16, kv_cache_type::bf16, kv_cache_type::q8_0})
    if (to_string(t) == name) return t;
  throw invalid_argument("--cache-type must be f32, f16, bf16 or q8_0, not '" + name + "'");
}

}  // namespace

void add_model_options(CLI::App& command, model_options& o) {
  command.add_option("MODEL", o.path, "GGUF file, Hugging Face checkpoint folder or GLM-130B (SwissArmyTransformer) folder")
      ->required();
  command.add_option("--type", o.file_type,
                     "store the weights as this type, converting at load (F32 F16 BF16 Q8_0 Q6_K Q4_0 Q4_1 Q5_0 "
                     "Q5_K Q4_K, and GLM-130B's INT8 INT4); default: as the file stores them");
  command.add_option("-t,--threads", o.threads, "compute threads")->capture_default_str()->check(CLI::Range(1, 1024));
  command.add_option("-c,--ctx-size", o.context, "context length: tokens the KV cache holds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("-b,--batch-size", o.batch, "prompt tokens per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--cache-type", o.cache_type, "KV cache format: f32, f16, bf16, q8_0")
      ->capture_default_str()
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0"}));
  command.add_option("--chat-format", o.chat_format, "glm4_chat, glm4_0414 or glm_z1; default: from the model")
      ->check(CLI::IsMember({"glm4_chat", "glm4_0414", "glm_z1"}));
  command.add_flag("-q,--quiet", o.quiet, "nothing on stderr but errors");
}

namespace {

// The weights of `file` through the lists above, with a progress bar on a
// terminal once loading takes a while.
any_model open_weights(const model_file& file, const model_options& o, std::chrono::steady_clock::time_point start) {
  open_options how{.file_type = o.file_type};
  if (o.quiet) how.load.note = nullptr;
  // A bar on a terminal once loading takes a while (a conversion at load);
  // a file used in place loads in milliseconds and shows none.
  bool bar_shown = false;
  if (!o.quiet && isatty(STDERR_FILENO) != 0)
    how.load.progress = [&](std::size_t done, std::size_t total) {
      if (!bar_shown && std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) return;
      constexpr std::size_t width = 40;
      const std::size_t filled = total ? width * done / total : width;
      std::fprintf(stderr, "\rglm4: loading [%s%s] %zu/%zu matrices", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), done, total);
      if (done == total) std::fputc('\n', stderr);
      std::fflush(stderr);
      bar_shown = done != total;
    };
  return any_model::open<known_configs, known_file_types>(file, how);
}

// Runs `allocate`; a std::bad_alloc becomes an error E saying what was
// being allocated (the library checks the sizes it can foresee; this
// catches the rest, e.g. a conversion at load on a machine that is short).
template <class E, class F>
auto naming_allocation(const std::string& what, F allocate) {
  try {
    return allocate();
  } catch (const std::bad_alloc&) {
    throw E("out of memory " + what);
  }
}

std::string session_description(const model_options& o, std::int64_t context) {
  return "allocating a session of context " + std::to_string(context) + " and batch " + std::to_string(o.batch) +
         " (KV cache in " + o.cache_type + "); lower -c or -b";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void say_loaded(const model_file& file, const any_model& model, const std::string& how, double seconds) {
  std::cerr << "glm4: " << file.name() << " as " << model.config_name() << ", " << model.file_type() << " weights ("
            << std::fixed << std::setprecision(1) << static_cast<double>(model.weight_bytes()) / (1 << 20) << " MiB), "
            << how << ", loaded in " << std::setprecision(2) << seconds << " s\n";
}

void check_vocabulary(const std::string& path, std::size_t tokenizer_tokens, const any_model& model) {
  if (tokenizer_tokens > static_cast<std::size_t>(model.shape().vocab_size))
    throw config_mismatch(path + ": the tokenizer has " + std::to_string(tokenizer_tokens) +
                          " tokens, more than the model's vocab_size (its embedding rows) of " +
                          std::to_string(model.shape().vocab_size));
}

}  // namespace

any_session loaded_model::new_session(const model_options& o) const {
  return naming_allocation<invalid_argument>(session_description(o, o.context),
                                             [&] { return model.new_session(session_options(o), cache_type); });
}

any_session loaded_blank_model::new_session(const model_options& o) const {
  return naming_allocation<invalid_argument>(session_description(o, context), [&] {
    return model.new_session({.context = context, .threads = o.threads, .batch = o.batch}, cache_type);
  });
}

bool is_blank_filling_model(const model_file& file) { return file.shape().style == block_style::glm130b; }

loaded_blank_model load_blank_model(const model_options& o, const model_file& file) {
  const auto start = std::chrono::steady_clock::now();
  auto model =
      naming_allocation<error>("loading the weights of " + o.path, [&] { return open_weights(file, o, start); });
  auto tokenizer = naming_allocation<error>("loading the tokenizer of " + o.path, [&] { return open_icetk(o.path); });
  const auto ids = blank_ids::of(tokenizer);
  check_vocabulary(o.path, tokenizer.vocab_size(), model);
  const double seconds = seconds_since(start);
  if (!o.quiet) say_loaded(file, model, "icetk tokenizer, blank filling", seconds);
  const auto context = std::min(o.context, model.shape().max_context);
  return {std::move(model), std::move(tokenizer), ids, parse_cache_type(o.cache_type), seconds, context};
}

loaded_model load_model(const model_options& o) { return load_model(o, model_file::open(o.path)); }

loaded_model load_model(const model_options& o, const model_file& file) {
  const auto start = std::chrono::steady_clock::now();
  if (is_blank_filling_model(file))
    throw config_mismatch(o.path + " is GLM-130B, a base model that fills blanks, not a chat model: "
                                   "`glm4 run` fills its [MASK] / [gMASK]");
  auto model =
      naming_allocation<error>("loading the weights of " + o.path, [&] { return open_weights(file, o, start); });
  auto tokenizer =
      naming_allocation<error>("loading the tokenizer of " + o.path, [&] { return open_tokenizer(o.path); });
  const auto format = o.chat_format.empty() ? chat::detect_format(o.path) : *chat::parse_format(o.chat_format);
  const double seconds = seconds_since(start);
  check_vocabulary(o.path, tokenizer.vocab_size(), model);
  if (!o.quiet) say_loaded(file, model, std::string(chat::to_string(format)) + " chat format", seconds);
  return {std::move(model), std::move(tokenizer), format, parse_cache_type(o.cache_type), seconds};
}

int report_error(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) {
    std::cerr << "glm4: out of memory (std::bad_alloc)\n";
    return exit_failure;
  }
  std::cerr << "glm4: " << e.what() << '\n';
  if (dynamic_cast<const config_mismatch*>(&e)) return exit_model_mismatch;
  if (dynamic_cast<const context_overflow*>(&e) || dynamic_cast<const text_error*>(&e) ||
      dynamic_cast<const invalid_argument*>(&e))
    return exit_bad_input;
  return exit_failure;
}

}  // namespace glm4::app
