// A Hugging Face GLM-4 checkpoint folder (config.json + safetensors, and
// tokenizer.json when present) written as a GGUF file llama.cpp reads, or a
// GLM-130B folder (SwissArmyTransformer partitions, ice_text.model) as a
// GGUF of arch `glm130b` that glm4.hpp reads (llama.cpp has no GLM-130B):
//
//   convert::gguf_export_options o;
//   o.rules.type = quant::ggml_type::q4_k;
//   o.rules.output_type = quant::ggml_type::q6_k;  // lm_head
//   convert::export_gguf("GLM-4-9B-0414/", "glm-4-9b-Q4_K.gguf", o);
//
// - arch `glm4` for model_type glm4, `chatglm` for glm / chatglm, `glm130b`
//   (its word embedding, also its output, f16 unless embedding_type says
//   otherwise; icetk's model and ids as tokenizer.icetk.*);
// - llama.cpp's tensor names (io::gguf_tensor_name), shapes in ggml's ne
//   order (the writer reverses {out, in});
// - 2-D weights in the type quantize_rules.hpp picks, row by row with the
//   format's own quantizer (the same bytes glm4.hpp's loader would
//   produce), or copied when the source holds it in that format already
//   (GLM-130B's INT4 as q4_0: its blocks would not survive re-quantizing); a
//   weight whose rows are not a whole number of the format's blocks falls
//   back as llama-quantize's does (stored_type; reported through `warn`);
//   1-D tensors (norms, biases) f32;
// - the {arch}.* hyper-parameters shape_from_gguf and llama.cpp read,
//   general.file_type / quantization_version, and the tokenizer as
//   llama.cpp's Glm4 converter writes it (gpt2 BPE, pre "glm4").
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/config/presets.hpp"
#include "glm4/convert/quantize_rules.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/checkpoint.hpp"
#include "glm4/io/gguf_metadata.hpp"
#include "glm4/io/gguf_names.hpp"
#include "glm4/io/gguf_writer.hpp"
#include "glm4/io/hf_config.hpp"
#include "glm4/io/sat_checkpoint.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/tokenizer/open.hpp"

namespace glm4::convert {

struct gguf_export_progress {
  std::size_t index = 0;  // 0-based
  std::size_t count = 0;
  std::string name;  // GGUF name
  quant::ggml_type type{};
  std::size_t bytes = 0;
};

struct gguf_export_options {
  quantize_rules rules;  // which tensor is stored in which type
  std::string name;      // general.name (default: the folder's name)
  // Called as each tensor is written (at write time, in file order).
  std::function<void(const gguf_export_progress&)> progress;
  // Called for each notice (a weight stored in a fallback type, no tokenizer.json ...).
  std::function<void(const std::string&)> warn;
};

namespace detail {

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw io_error("cannot open " + p.string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw format_error(p.string() + ": not valid JSON");
  return j;
}

// Values [first, first + n) of a source tensor as floats (first, n whole blocks).
inline void decode_values(const io::source_tensor& t, std::size_t first, std::size_t n, float* out) {
  const auto traits = quant::traits_of(t.type);
  const std::size_t b0 = first / traits.block_elems * traits.block_bytes;
  const std::size_t nb = n / traits.block_elems * traits.block_bytes;
  std::vector<float> aligned((nb + sizeof(float) - 1) / sizeof(float));
  std::memcpy(aligned.data(), t.bytes.data() + b0, nb);
  quant::dequantize(t.type, std::as_bytes(std::span(aligned)).first(nb), out, n);
}

// The tokenizer metadata of llama.cpp's Glm4 converter (gpt2 BPE).
inline void write_tokenizer(io::gguf_writer& w, const std::filesystem::path& dir, const nlohmann::json& config,
                            std::int64_t vocab_size, bool chatglm, const gguf_export_options& o) {
  const auto tok_path = dir / "tokenizer.json";
  if (!std::filesystem::exists(tok_path)) {
    if (o.warn) o.warn("no tokenizer.json: writing placeholder tokens (tokenizer.ggml.model \"none\")");
    std::vector<std::string> tokens;
    for (std::int64_t i = 0; i < vocab_size; ++i) tokens.push_back("[PAD" + std::to_string(i) + "]");
    w.set("tokenizer.ggml.model", std::string("none"));
    w.set_array("tokenizer.ggml.tokens", std::move(tokens));
    w.set_array("tokenizer.ggml.token_type", std::vector<std::int32_t>(static_cast<std::size_t>(vocab_size), 5));
    return;
  }
  const nlohmann::json tj = read_json(tok_path);
  const auto& model = tj.at("model");
  if (model.value("type", std::string("BPE")) != "BPE")
    throw format_error(tok_path.string() + ": tokenizer model is not BPE");
  const auto n = static_cast<std::size_t>(vocab_size);
  std::vector<std::string> tokens(n);
  std::vector<std::int32_t> types(n, 0);
  const auto put = [&](std::int64_t id, const std::string& text, std::int32_t type) {
    if (id < 0 || static_cast<std::size_t>(id) >= n)
      throw format_error(tok_path.string() + ": token '" + text + "' has id " + std::to_string(id) +
                         ", outside the model's " + std::to_string(vocab_size) + " embeddings");
    tokens[static_cast<std::size_t>(id)] = text;
    types[static_cast<std::size_t>(id)] = type;
  };
  for (const auto& [text, id] : model.at("vocab").items()) put(id.get<std::int64_t>(), text, 1);
  std::map<std::string, std::int32_t> added;
  for (const auto& a : tj.value("added_tokens", nlohmann::json::array())) {
    const auto text = a.at("content").get<std::string>();
    const auto id = a.at("id").get<std::int64_t>();
    put(id, text, a.value("special", false) ? 3 : 4);  // CONTROL / USER_DEFINED
    added[text] = static_cast<std::int32_t>(id);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (types[i] == 0) {  // ids the tokenizer does not use (padded vocab)
      tokens[i] = "[PAD" + std::to_string(i) + "]";
      types[i] = 5;  // UNUSED
    }
  std::vector<std::string> merges;
  for (const auto& m : model.value("merges", nlohmann::json::array())) {
    if (m.is_string())
      merges.push_back(m.get<std::string>());
    else
      merges.push_back(m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());
  }
  w.set("tokenizer.ggml.model", std::string("gpt2"));
  w.set("tokenizer.ggml.pre", std::string(chatglm ? "chatglm-bpe" : "glm4"));
  w.set_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_array("tokenizer.ggml.token_type", std::move(types));
  w.set_array("tokenizer.ggml.merges", std::move(merges));

  // Special ids: config's eos_token_id list is [<|endoftext|>, <|user|>,
  // <|observation|>]; like llama.cpp's converter, eos / unknown / bos are
  // <|endoftext|> and eot is <|user|>.
  std::vector<std::uint32_t> eos;
  if (config.contains("eos_token_id")) {
    const auto& e = config["eos_token_id"];
    if (e.is_array())
      for (const auto& v : e) eos.push_back(v.get<std::uint32_t>());
    else if (e.is_number_integer())
      eos.push_back(e.get<std::uint32_t>());
  }
  if (eos.empty())
    if (const auto it = added.find("<|endoftext|>"); it != added.end())
      eos.push_back(static_cast<std::uint32_t>(it->second));
  if (eos.size() < 2)
    if (const auto it = added.find("<|user|>"); it != added.end())
      eos.push_back(static_cast<std::uint32_t>(it->second));
  if (!eos.empty()) {
    w.set("tokenizer.ggml.eos_token_id", eos[0]);
    w.set("tokenizer.ggml.bos_token_id", eos[0]);
    w.set("tokenizer.ggml.unknown_token_id", eos[0]);
    if (eos.size() > 1) w.set("tokenizer.ggml.eot_token_id", eos[1]);
    const auto pad = config.contains("pad_token_id") && config["pad_token_id"].is_number_integer()
                         ? config["pad_token_id"].get<std::uint32_t>()
                         : eos[0];
    w.set("tokenizer.ggml.padding_token_id", pad);
  }
  const auto tc_path = dir / "tokenizer_config.json";
  if (std::filesystem::exists(tc_path)) {
    const nlohmann::json tc = read_json(tc_path);
    if (tc.contains("chat_template") && tc["chat_template"].is_string())
      w.set("tokenizer.chat_template", tc["chat_template"].get<std::string>());
  }
}

// GLM-130B's icetk tokenizer: the ice_text.model bytes as they are and the
// options of its icetk.json (open_icetk reads them back).
inline void write_icetk(io::gguf_writer& w, const std::filesystem::path& dir) {
  const auto tokenizer = open_icetk(dir);  // a model or options that do not read fail here
  const auto options = read_icetk_options(dir / "icetk.json");
  std::ifstream in(dir / "ice_text.model", std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> names;
  std::vector<std::int32_t> ids;
  for (const auto& [name, id] : options.commands) names.push_back(name), ids.push_back(id);
  w.set("tokenizer.ggml.model", std::string("icetk"));
  w.set_array("tokenizer.icetk.model", std::move(bytes));
  w.set("tokenizer.icetk.text_offset", static_cast<std::uint32_t>(options.text_offset));
  w.set_array("tokenizer.icetk.command_names", std::move(names));
  w.set_array("tokenizer.icetk.command_ids", std::move(ids));
}

}  // namespace detail

// Writes `model_dir` as the GGUF `out`. Throws glm4 errors on bad input.
inline void export_gguf(const std::filesystem::path& model_dir, const std::filesystem::path& out,
                        const gguf_export_options& o = {}) {
  const bool sat = !io::sat_checkpoint::partition_files(model_dir).empty();
  std::shared_ptr<const io::tensor_source> source;
  if (sat)
    source = std::make_shared<io::sat_checkpoint>(model_dir);
  else
    source = std::make_shared<io::checkpoint_folder>(model_dir);
  const io::tensor_source& src = *source;
  const auto config_path = model_dir / "config.json";
  // A SwissArmyTransformer folder without config.json is the published GLM-130B.
  const model_shape s = sat && !std::filesystem::exists(config_path) ? shape_of<presets::glm_130b>()
                                                                      : io::read_model_config(config_path);
  const bool chatglm = s.style == block_style::glm, glm130b = s.style == block_style::glm130b;
  const std::string arch = glm130b ? "glm130b" : chatglm ? "chatglm" : "glm4";
  validate(o.rules);

  io::gguf_writer w;
  std::string name = o.name;
  if (name.empty()) {
    auto dir = model_dir;
    if (!dir.has_filename()) dir = dir.parent_path();
    name = dir.filename().string();
  }
  io::write_model_metadata(w, arch, name, s);
  w.set("general.file_type", file_type(o.rules));
  w.set("general.quantization_version", std::uint32_t{2});
  if (glm130b)
    detail::write_icetk(w, model_dir);
  else
    detail::write_tokenizer(w, model_dir, detail::read_json(config_path), s.vocab_size, chatglm, o);

  // Tensors: globals first, then each layer, as llama.cpp's converter orders them.
  const io::gguf_name_table& table = io::gguf_names_of(arch);
  const std::string embedding(table.globals[0].second), layers(table.canonical_layers);
  std::vector<std::string> names = src.names();
  const auto order = [&](const std::string& n) -> std::pair<std::int64_t, std::string> {
    if (n.starts_with(embedding)) return {-2, n};
    if (const auto split = io::detail::split_layer(n, layers)) return {std::stoll(std::string(split->first)), n};
    if (n.starts_with(table.globals[1].second)) return {1 << 30, n};
    return {(1 << 30) + 1, n};
  };
  std::sort(names.begin(), names.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });

  std::size_t index = 0;
  for (const auto& canonical : names) {
    // What the tensor is now; its bytes (which a partitioned checkpoint
    // assembles) only when it is written.
    const io::tensor_info t = *src.info(canonical);
    const std::string gname = io::gguf_tensor_name(canonical, arch);
    quant::ggml_type type = quant::ggml_type::f32;
    if (t.shape.size() == 2) {
      const quant::ggml_type wanted = weight_type(o.rules, canonical, embedding, glm130b, s.num_layers);
      type = stored_type(wanted, t.shape[1]);
      if (type != wanted && o.warn)
        o.warn(gname + ": rows of " + std::to_string(t.shape[1]) + " values are not a whole number of " +
               quant::type_name(wanted) + " blocks; stored as " + quant::type_name(type));
    } else if (t.shape.size() != 1) {
      throw format_error(src.describe() + ": tensor '" + t.file_name + "' has " + std::to_string(t.shape.size()) +
                         " dimensions; GLM weights have 1 or 2");
    }
    const std::size_t i = index++;
    const std::size_t count = names.size();
    w.add_tensor(gname, type, t.shape, [source, canonical, type, gname, i, count, &o](std::span<std::byte> bytes) {
      if (o.progress) o.progress({i, count, gname, type, bytes.size()});
      const io::source_tensor t = *source->find(canonical);
      if (t.type == type && t.bytes.size() == bytes.size()) {
        std::memcpy(bytes.data(), t.bytes.data(), bytes.size());
        return;
      }
      const std::size_t cols = static_cast<std::size_t>(t.shape.back());
      const std::size_t rows = static_cast<std::size_t>(t.elements()) / std::max<std::size_t>(cols, 1);
      const std::size_t row_bytes = bytes.size() / std::max<std::size_t>(rows, 1);
      std::vector<float> row(cols);
      quant::visit_format(type, [&]<quant::block_format F>() {
        for (std::size_t r = 0; r < rows; ++r) {
          detail::decode_values(t, r * cols, cols, row.data());
          F::quantize(row.data(), reinterpret_cast<typename F::block*>(bytes.data() + r * row_bytes), cols);
        }
      });
    });
  }
  w.write(out);
}

}  // namespace glm4::convert
