// glm4 info MODEL: what a model file holds (kind, architecture, shape, tensor
// types) and how this build would run it (configuration, file type, memory,
// SIMD target, chat format), as aligned "key: value" lines or --json.
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <glm4/build_info.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model_loading.hpp"

namespace glm4::app {
namespace {

struct info_options {
  model_options model;
  bool json = false;
};

// Bytes of a key and a value at one position, over every layer.
std::size_t kv_bytes_per_token(const model_shape& s, kv_cache_type t) {
  const auto values = 2 * static_cast<std::size_t>(s.num_layers * s.num_kv_heads * s.head_dim);
  switch (t) {
    case kv_cache_type::f32: return values * 4;
    case kv_cache_type::q8_0: return values / quant::q8_0::block_elems * sizeof(quant::q8_0::block);
    default: return values * 2;
  }
}

std::string mib(std::size_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return s.str();
}

// What info shows of a loaded model, chat or blank-filling.
struct loaded_facts {
  const any_model& model;
  kv_cache_type cache_type;
  std::int64_t context;
  std::string chat_format;
  std::size_t tokenizer_tokens;
};

bool is_sat_folder(const model_file& file) { return dynamic_cast<const io::sat_checkpoint*>(&file.source()) != nullptr; }

std::string architecture_of(const model_file& file) {
  if (file.is_gguf()) return file.gguf()->architecture();
  if (file.shape().style == block_style::glm130b) return "glm-130b";
  std::ifstream in(file.path() / "config.json");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("model_type") && j["model_type"].is_string()) return j["model_type"];
  return "?";
}

int info(const info_options& o) {
  const auto file = model_file::open(o.model.path);
  const model_shape& s = file.shape();
  const auto types = file.matrix_types();

  // Text output says what the file is before the load, which may fail (the
  // shape of a file no configuration matches is what one wants to see).
  std::vector<std::pair<std::string, std::string>> lines;
  const auto add = [&](std::string key, std::string value) { lines.emplace_back(std::move(key), std::move(value)); };
  const auto print = [&] {
    std::size_t width = 13;  // "configuration"
    for (const auto& [k, v] : lines) width = std::max(width, k.size());
    for (const auto& [k, v] : lines) std::cout << std::left << std::setw(static_cast<int>(width + 1)) << k + ":" << ' ' << v << '\n';
    std::cout << std::flush;
    lines.clear();
  };
  std::string type_list;
  for (const auto& [t, count] : types) type_list += (type_list.empty() ? "" : ", ") + t + " x" + std::to_string(count);
  add("file", file.path().string());
  add("name", file.name());
  if (const auto* sat = dynamic_cast<const io::sat_checkpoint*>(&file.source()))
    add("kind", "SwissArmyTransformer folder, " + std::to_string(sat->partitions()) + " model-parallel partition(s)" +
                    (sat->quantization_bits() ? ", INT" + std::to_string(sat->quantization_bits()) : ""));
  else
    add("kind", file.is_gguf() ? "GGUF" : "Hugging Face folder");
  if (const auto label = file.llama_file_type(); !label.empty()) add("llama.cpp type", label);
  add("architecture", architecture_of(file));
  add("block style", std::string(to_string(s.style)));
  add("layers", std::to_string(s.num_layers));
  add("hidden size", std::to_string(s.hidden_size));
  add("ffn size", std::to_string(s.intermediate_size));
  add("heads", std::to_string(s.num_heads));
  add("kv heads", std::to_string(s.num_kv_heads));
  add("head dim", std::to_string(s.head_dim));
  add("vocabulary", std::to_string(s.vocab_size));
  add("max context", std::to_string(s.max_context));
  add("matrix types", type_list);
  if (!o.json) print();

  // GLM-130B fills blanks with icetk's tokenizer; the others chat.
  const bool blank_filling = is_blank_filling_model(file);
  std::optional<loaded_model> chat_model;
  std::optional<loaded_blank_model> blank_model;
  if (blank_filling)
    blank_model.emplace(load_blank_model(o.model, file));
  else
    chat_model.emplace(load_model(o.model, file));
  const loaded_facts m = blank_filling
                            ? loaded_facts{blank_model->model, blank_model->cache_type, blank_model->context,
                                           "none (fills [MASK] / [gMASK] blanks)", blank_model->tokenizer.vocab_size()}
                            : loaded_facts{chat_model->model, chat_model->cache_type, o.model.context,
                                           std::string(chat::to_string(chat_model->chat_format)),
                                           chat_model->tokenizer.vocab_size()};
  const auto kv_per_token = kv_bytes_per_token(s, m.cache_type);
  const auto kv_total = kv_per_token * static_cast<std::size_t>(m.context);
  const auto build = build_info();
  const std::string simd = std::string(build.simd_target) + " (integer kernels: " + std::string(build.integer_kernels) + ")";
  // The kernel each of the file's matrix types runs in this build.
  std::string kernels;
  for (const auto& [t, count] : types)
    for (const auto& f : build.formats)
      if (f.format == t) kernels += (kernels.empty() ? "" : ", ") + t + " " + std::string(to_string(f.kind));
  add("configuration", std::string(m.model.config_name()));
  add("file type", std::string(m.model.file_type()));
  add("weights", mib(m.model.weight_bytes()) + " (" + std::to_string(m.model.weight_bytes()) + " bytes)");
  add("kv cache", std::string(to_string(m.cache_type)) + ", " + std::to_string(kv_per_token) + " bytes per token, " +
                      mib(kv_total) + " at -c " + std::to_string(m.context));
  add("memory", mib(m.model.weight_bytes() + kv_total) + " (weights + kv cache at -c " + std::to_string(m.context) + ")");
  add("simd target", simd);
  add("kernels", kernels);
  add("chat format", m.chat_format);
  add("tokenizer", std::to_string(m.tokenizer_tokens) + " tokens" + (blank_filling ? " (icetk)" : ""));
  if (!o.json) {
    print();
    return exit_ok;
  }

  nlohmann::ordered_json j;
  j["file"] = file.path().string();
  j["name"] = file.name();
  j["kind"] = file.is_gguf() ? "gguf" : is_sat_folder(file) ? "sat_folder" : "hf_folder";
  j["architecture"] = architecture_of(file);
  j["block_style"] = s.style == block_style::glm ? "glm" : s.style == block_style::glm4 ? "glm4" : "glm130b";
  j["shape"] = {{"layers", s.num_layers},      {"hidden_size", s.hidden_size}, {"intermediate_size", s.intermediate_size},
                {"heads", s.num_heads},        {"kv_heads", s.num_kv_heads},   {"head_dim", s.head_dim},
                {"vocab_size", s.vocab_size},  {"max_context", s.max_context}};
  j["matrix_types"] = nlohmann::ordered_json::object();
  for (const auto& [t, count] : types) j["matrix_types"][t] = count;
  j["configuration"] = m.model.config_name();
  j["file_type"] = m.model.file_type();
  j["weight_bytes"] = m.model.weight_bytes();
  j["kv_cache"] = {{"type", to_string(m.cache_type)},
                   {"bytes_per_token", kv_per_token},
                   {"context", m.context},
                   {"bytes", kv_total}};
  if (const auto label = file.llama_file_type(); !label.empty()) j["llama_file_type"] = label;
  j["memory_bytes"] = m.model.weight_bytes() + kv_total;
  j["simd_target"] = build.simd_target;
  j["integer_kernels"] = build.integer_kernels;
  j["kernels"] = nlohmann::ordered_json::object();
  for (const auto& [t, count] : types)
    for (const auto& f : build.formats)
      if (f.format == t) j["kernels"][t] = to_string(f.kind);
  j["chat_format"] = m.chat_format;
  j["tokenizer_tokens"] = m.tokenizer_tokens;
  std::cout << j.dump(2) << '\n';
  return exit_ok;
}

}  // namespace

void add_info_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<info_options>();
  auto* cmd = app.add_subcommand("info", "show a model's shape, tensor types, chosen configuration and memory");
  add_model_options(*cmd, o->model);
  cmd->add_flag("--json", o->json, "print one JSON object instead of key: value lines");
  cmd->callback([o, &exit_code] { exit_code = info(*o); });
}

}  // namespace glm4::app
