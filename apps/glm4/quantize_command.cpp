// glm4 quantize MODEL_DIR OUT.gguf TYPE: converts a Hugging Face GLM-4
// checkpoint folder into a GGUF file (convert/gguf_export.hpp) that llama.cpp and
// glm4.hpp read, or a GLM-130B folder (its partitions merged) into one that
// glm4.hpp reads. The file is written as OUT.gguf.tmp-<pid> and renamed when
// complete, so a run that fails or is interrupted never leaves a partial file
// under the name asked for; a failed run, or one stopped by SIGINT, SIGTERM
// or SIGHUP, removes the temporary file too (SIGKILL leaves it).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>

#include <glm4/convert/gguf_export.hpp>
#include <glm4/quant/formats.hpp>

#include "commands.hpp"
#include "model_loading.hpp"

namespace glm4::app {
namespace {

struct quantize_options {
  std::string model_dir;
  std::string out;
  std::string type;
  std::string output_type;
  std::string embedding_type;
  std::string name;
  bool quiet = false;
};

// A CLI11 check: the name of a type export_gguf writes (any case).
CLI::Validator type_check(bool allow_mixes) {
  return CLI::Validator(
      [allow_mixes](std::string& s) -> std::string {
        if (allow_mixes ? convert::parse_file_type_name(s).has_value() : convert::parse_type_name(s).has_value())
          return {};
        return "unknown type '" + s + "'; one of " + quant::format_names() +
               (allow_mixes ? " q4_k_s q4_k_m q5_k_s q5_k_m" : "");
      },
      "TYPE");
}

// The temporary file, for the signal handler below: a fixed buffer, since
// the handler may neither allocate nor read a std::string being built.
char partial_path[4096];

void remove_partial_and_die(int number) {
  ::unlink(partial_path);
  ::signal(number, SIG_DFL);
  ::raise(number);
}

// Until the rename, Ctrl-C, a kill or a closed terminal removes the
// temporary file before the process ends as the signal would end it.
void remove_partial_on_signals(const std::filesystem::path& partial) {
  if (partial.native().size() >= sizeof partial_path) return;  // too long to keep: left behind, as after SIGKILL
  std::memcpy(partial_path, partial.c_str(), partial.native().size() + 1);
  for (const int number : {SIGINT, SIGTERM, SIGHUP}) ::signal(number, remove_partial_and_die);
}

int quantize(const quantize_options& o) {
  convert::gguf_export_options how;
  how.rules = *convert::parse_file_type_name(o.type);
  if (!o.output_type.empty()) how.rules.output_type = convert::parse_type_name(o.output_type);
  if (!o.embedding_type.empty()) how.rules.embedding_type = convert::parse_type_name(o.embedding_type);
  how.name = o.name;

  // One line rewritten in place on a terminal; otherwise nothing per tensor
  // (a log would hold hundreds of lines), a line at the start and the end.
  const bool terminal = isatty(STDERR_FILENO) != 0 && !o.quiet;
  bool line_open = false;
  if (terminal)
    how.progress = [&](const convert::gguf_export_progress& p) {
      std::fprintf(stderr, "\r[%zu/%zu] %-40s %-5s %12zu bytes", p.index + 1, p.count, p.name.c_str(),
                   quant::type_name(p.type).c_str(), p.bytes);
      std::fflush(stderr);
      line_open = true;
    };
  how.warn = [&](const std::string& message) {
    if (o.quiet) return;
    if (line_open) std::fputc('\n', stderr);
    line_open = false;
    std::fprintf(stderr, "glm4: warning: %s\n", message.c_str());
  };

  const std::filesystem::path out = o.out;
  const std::filesystem::path partial = out.string() + ".tmp-" + std::to_string(getpid());
  if (!o.quiet) std::fprintf(stderr, "glm4: writing %s as %s\n", out.c_str(), o.type.c_str());
  remove_partial_on_signals(partial);
  try {
    try {
      convert::export_gguf(o.model_dir, partial, how);
    } catch (const std::bad_alloc&) {
      throw error("out of memory converting " + o.model_dir + " to " + out.string());
    }
    std::filesystem::rename(partial, out);
    for (const int number : {SIGINT, SIGTERM, SIGHUP}) ::signal(number, SIG_DFL);
  } catch (...) {
    if (line_open) std::fputc('\n', stderr);
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw;
  }
  if (line_open) std::fputc('\n', stderr);
  if (!o.quiet)
    std::fprintf(stderr, "glm4: wrote %s (%.1f MiB)\n", out.c_str(),
                 static_cast<double>(std::filesystem::file_size(out)) / (1 << 20));
  return exit_ok;
}

}  // namespace

void add_quantize_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<quantize_options>();
  auto* cmd = app.add_subcommand("quantize", "convert a checkpoint folder (Hugging Face, or GLM-130B's) to a GGUF file");
  cmd->add_option("MODEL_DIR", o->model_dir,
                  "Hugging Face checkpoint folder (config.json, *.safetensors) or GLM-130B folder (mp_rank_*.pt, "
                  "ice_text.model)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("OUT", o->out, "the GGUF file to write")->required();
  cmd->add_option("TYPE", o->type,
                  "format of the 2-D weights: " + quant::format_names() +
                      ", q4_k_s / q5_k_s (the same as q4_k / q5_k), or llama.cpp's mixes q4_k_m q5_k_m"
                      " (attn_v, ffn_down, lm_head partly q6_k)")
      ->required()
      ->check(type_check(true));
  cmd->add_option("--output-type", o->output_type, "format of lm_head (default: TYPE)")->check(type_check(false));
  cmd->add_option("--embedding-type", o->embedding_type, "format of token_embd (default: TYPE)")
      ->check(type_check(false));
  cmd->add_option("--name", o->name, "general.name (default: the folder's name)");
  cmd->add_flag("-q,--quiet", o->quiet, "nothing on stderr but errors");
  cmd->callback([o, &exit_code] { exit_code = quantize(*o); });
}

}  // namespace glm4::app
