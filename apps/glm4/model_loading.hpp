// What every `glm4` subcommand that runs a model shares: the model flags
// (named as llama-cli's where they mean the same), opening the file through
// the library's ready lists, and the exit codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include <glm4/glm4.hpp>

namespace glm4::app {

// The exit codes of `glm4`, documented in its --help and in docs/cli.md.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,        // a file could not be read, a format error, an I/O error
  exit_usage = 2,          // bad command line
  exit_model_mismatch = 3, // the file is not a model this build can run (no configuration or type fits)
  exit_bad_input = 4,      // the prompt cannot be run: past the context, invalid text or token ids
  exit_file_changed = 5,   // a model file shrank or changed while mapped (a SIGBUS in its mapping)
};

struct model_options {
  std::string path;          // GGUF file or Hugging Face folder
  std::string file_type;     // convert the weights at load to this type ("Q8_0"); empty: as the file stores them
  std::size_t threads = glm4::thread_pool::default_threads();
  std::int64_t context = 4096;
  std::size_t batch = glm4::session_options{}.batch;
  std::string cache_type = "f16";  // f32, f16, bf16, q8_0
  std::string chat_format;         // glm4_chat, glm4_0414, glm_z1; empty: detected from the file
  bool quiet = false;              // no load progress / stats on stderr
};

// Adds MODEL (positional) and the model flags to a subcommand.
void add_model_options(CLI::App& command, model_options& options);

struct loaded_model {
  glm4::any_model model;
  glm4::tokenizer tokenizer;
  glm4::chat::format chat_format;
  glm4::kv_cache_type cache_type;
  double load_seconds = 0;

  glm4::session_options session_options(const model_options& o) const {
    return {.context = o.context, .threads = o.threads, .batch = o.batch};
  }
  // A session for -c / -b; out of memory is an invalid_argument naming them.
  glm4::any_session new_session(const model_options& o) const;
};

// Opens the model, its tokenizer and chat format (glm4::error on failure);
// unless quiet, says on stderr what was loaded and how long it took.
// GLM-130B is refused: it fills blanks, it does not chat. The second form
// loads a file the caller has opened already (`options.path`'s).
loaded_model load_model(const model_options& options);
loaded_model load_model(const model_options& options, const glm4::model_file& file);

// GLM-130B: a base model that fills blanks (model/blank_filling.hpp), with
// icetk's tokenizer (the folder's ice_text.model, icetk.json for other ids).
struct loaded_blank_model {
  glm4::any_model model;
  glm4::icetk_tokenizer tokenizer;
  glm4::blank_ids ids;
  glm4::kv_cache_type cache_type;
  double load_seconds = 0;
  std::int64_t context = 0;  // -c, capped at the model's positions (2048 for GLM-130B)

  glm4::any_session new_session(const model_options& o) const;
};

// Whether `file` holds a blank-filling model (GLM-130B's architecture).
bool is_blank_filling_model(const glm4::model_file& file);
loaded_blank_model load_blank_model(const model_options& options, const glm4::model_file& file);

// The exit code for an exception escaping a subcommand, after printing
// "glm4: <message>" on stderr (a std::bad_alloc that escaped without
// saying what it was allocating: "out of memory").
int report_error(const std::exception& e);

}  // namespace glm4::app
