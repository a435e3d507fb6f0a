// The subcommands of `glm4`. Each add_*_command creates its subcommand on
// `app`, keeps its options in a std::shared_ptr that the callback captures,
// and sets `exit_code` (model_loading.hpp's exit codes) when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace glm4::app {

void add_run_command(CLI::App& app, int& exit_code);       // run_command.cpp
void add_chat_command(CLI::App& app, int& exit_code);      // chat_command.cpp
void add_info_command(CLI::App& app, int& exit_code);      // info_command.cpp
void add_quantize_command(CLI::App& app, int& exit_code);  // quantize_command.cpp
void add_serve_command(CLI::App& app, int& exit_code);     // serve_command.cpp

// Whether this build has `glm4 serve` (CMake option GLM4_BUILD_SERVER: off
// when cross-compiling, where no cpp-httplib of the target is at hand).
#ifdef GLM4_CLI_WITHOUT_SERVER
inline constexpr bool has_server = false;
#else
inline constexpr bool has_server = true;
#endif

}  // namespace glm4::app
