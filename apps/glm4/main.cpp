// glm4: run GLM-4 models from the command line (docs/cli.md).
//
//   glm4 run MODEL -p "text"      continue a prompt
//   glm4 chat MODEL               talk to a chat model
//   glm4 serve MODEL              an OpenAI-compatible HTTP server
//   glm4 info MODEL               what a file holds and how it would run
//   glm4 quantize DIR OUT TYPE    convert a checkpoint folder to GGUF
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <glm4/build_info.hpp>
#include <glm4/version.hpp>

#include "commands.hpp"
#include "model_loading.hpp"

namespace {

constexpr const char* exit_codes =
    "Exit codes: 0 done; 1 a file could not be read or written; 2 bad command line;\n"
    "3 the model matches no compiled configuration or file type; 4 the prompt or an\n"
    "argument cannot be run (past the context, a token id outside the vocabulary, buffers\n"
    "larger than the memory); 5 a model file shrank or changed while in use.";

// llama-cli's multi-letter short flags, which CLI11 (one letter after a
// single dash) cannot declare: rewritten to their long names before parsing.
std::string_view long_name_of(std::string_view arg) {
  if (arg == "-sys") return "--system-prompt";
  if (arg == "-ctk") return "--cache-type";
  if (arg == "-np") return "--parallel";
  return arg;
}

}  // namespace

int main(int argc, char** argv) {
  // Weights are read in place from mapped files: a file truncated under a
  // running glm4 is a SIGBUS, said in words here (io/mapped_file.hpp).
  glm4::io::exit_on_mapping_fault(glm4::app::exit_file_changed);
  std::vector<std::string> args(argv, argv + argc);
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--") break;
    args[i] = std::string(long_name_of(args[i]));
  }
  std::vector<const char*> argp;
  for (const auto& a : args) argp.push_back(a.c_str());

  CLI::App app("glm4 " GLM4_VERSION_STRING ": GLM-4 models on CPUs", "glm4");
  const auto build = glm4::build_info();
  app.set_version_flag("--version", "glm4 " GLM4_VERSION_STRING " (" + std::string(build.simd_target) +
                                        ", integer kernels " + std::string(build.integer_kernels) +
                                        (glm4::app::has_server ? "" : ", built without the server") + ")");
  app.footer(exit_codes);
  app.require_subcommand(1);
  int exit_code = glm4::app::exit_ok;
  glm4::app::add_run_command(app, exit_code);
  glm4::app::add_chat_command(app, exit_code);
  if constexpr (glm4::app::has_server) glm4::app::add_serve_command(app, exit_code);
  glm4::app::add_info_command(app, exit_code);
  glm4::app::add_quantize_command(app, exit_code);
  try {
    app.parse(static_cast<int>(argp.size()), argp.data());
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return glm4::app::exit_usage;
  } catch (const std::exception& e) {
    return glm4::app::report_error(e);
  }
  return exit_code;
}
