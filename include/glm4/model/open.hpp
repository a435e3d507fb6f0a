// From a path to a typed model: the one place where what a file says (its
// shape, its tensor types) picks the compile-time glm4::model<C, S>.
//
//   using configs = glm4::config_list<glm4::presets::glm4_9b_0414, my_config>;
//   glm4::open_model<configs, glm4::file_types::all>("GLM-4-9B-0414-Q4_K_M.gguf",
//       []<class C, class S>(const glm4::model<C, S>& m) { ... });
//
// The configuration is the first in the list whose shape is the file's; the
// file type is the first whose scheme keeps every matrix in place (nothing
// converted at load), or the one named in open_options::file_type, into which
// the other tensors are converted (a bf16 folder quantized to Q8_0 at load).
// When nothing fits, the error lists each candidate and why it was refused.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "glm4/config/model_config.hpp"
#include "glm4/config/presets.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/checkpoint.hpp"
#include "glm4/io/gguf_source.hpp"
#include "glm4/io/hf_config.hpp"
#include "glm4/io/sat_checkpoint.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/file_types.hpp"
#include "glm4/model/load_options.hpp"
#include "glm4/model/model.hpp"
#include "glm4/model/weights.hpp"

namespace glm4::inline GLM4_TARGET {

struct open_options {
  // Name of a file type in the list ("Q8_0", any case) to store the weights
  // as, converting what the file holds otherwise; empty: the first type that
  // holds the file in place.
  std::string file_type;
  load_options load;
};

// A model file or folder, read but not yet loaded: what `glm4 info` shows
// and what the choice of types is made from.
class model_file {
 public:
  // A GGUF file, a Hugging Face checkpoint folder or a SwissArmyTransformer
  // one (GLM-130B's mp_rank_*_model_states.pt; its shape from a config.json
  // beside them, else GLM-130B's published one, checked against every
  // tensor at load); anything else is an io_error naming the path.
  static model_file open(const std::filesystem::path& path) {
    model_file f;
    f.path_ = path;
    if (std::filesystem::is_directory(path) && !io::sat_checkpoint::partition_files(path).empty()) {
      f.source_ = std::make_shared<io::sat_checkpoint>(path);
      f.shape_ = std::filesystem::exists(path / "config.json") ? io::read_model_config(path / "config.json")
                                                                : shape_of<presets::glm_130b>();
      f.name_ = folder_name(path);
    } else if (std::filesystem::is_regular_file(path)) {
      f.gguf_ = io::gguf_file::open(path);
      f.source_ = std::make_shared<io::gguf_source>(f.gguf_);
      f.shape_ = io::shape_from_gguf(*f.gguf_);
      f.name_ = f.gguf_->get_optional<std::string>("general.name").value_or(path.stem().string());
    } else if (std::filesystem::is_directory(path)) {
      if (!std::filesystem::exists(path / "config.json"))
        throw io_error(path.string() + " is a folder without config.json, not a Hugging Face checkpoint");
      f.source_ = std::make_shared<io::checkpoint_folder>(path);
      f.shape_ = io::read_model_config(path / "config.json");
      f.name_ = folder_name(path);
    } else {
      throw io_error(path.string() + (std::filesystem::exists(path) ? " is neither a GGUF file nor a checkpoint folder"
                                                                     : " does not exist"));
    }
    return f;
  }

  const std::filesystem::path& path() const { return path_; }
  bool is_gguf() const { return gguf_ != nullptr; }
  const io::gguf_file* gguf() const { return gguf_.get(); }
  const io::tensor_source& source() const { return *source_; }
  // general.name of a GGUF, the folder's name otherwise.
  const std::string& name() const { return name_; }
  // llama.cpp's name of the file's type (general.file_type: "Q4_K_M"), or
  // empty when the file does not say or is a folder.
  std::string llama_file_type() const {
    static constexpr std::pair<std::uint32_t, std::string_view> names[] = {
        {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},  {8, "Q5_0"},
        {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"},
        {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"},   {25, "IQ4_NL"}, {30, "IQ4_XS"},
        {32, "BF16"}};
    if (!gguf_) return {};
    const auto* v = gguf_->find("general.file_type");
    const auto* id = v ? std::get_if<std::uint32_t>(v) : nullptr;
    if (!id) return {};
    for (const auto& [n, name] : names)
      if (n == *id) return std::string(name);
    return "file type " + std::to_string(*id);
  }
  // The shape as the file states it.
  const model_shape& shape() const { return shape_; }
  // The shape as it compares with a compiled one (see io::shape_from_gguf).
  model_shape shape_against(const model_shape& compiled) const {
    return gguf_ ? io::shape_from_gguf(*gguf_, compiled) : shape_;
  }

  // How many matrices (2-D tensors) the file stores in each type.
  std::map<std::string, std::size_t> matrix_types() const {
    std::map<std::string, std::size_t> counts;
    for (const auto& name : source_->names())
      if (const auto t = source_->info(name); t && t->shape.size() == 2) ++counts[quant::type_name(t->type)];
    return counts;
  }

  // Why scheme S cannot keep this file's matrices in place (the first
  // tensor that does not fit), or nullopt when it can.
  template <weights::weight_scheme S>
  std::optional<std::string> misfit() const {
    const auto accepts = [](weight_role role, quant::ggml_type t) {
      switch (role) {
        case weight_role::embedding: return weights::accepts<typename S::embedding>(t);
        case weight_role::attention: return weights::accepts<typename S::attention>(t);
        case weight_role::ffn: return weights::accepts<typename S::ffn>(t);
        case weight_role::output: return weights::accepts<typename S::output>(t);
      }
      return false;
    };
    const auto formats = [](weight_role role) {
      switch (role) {
        case weight_role::embedding: return weights::format_names<typename S::embedding>();
        case weight_role::attention: return weights::format_names<typename S::attention>();
        case weight_role::ffn: return weights::format_names<typename S::ffn>();
        case weight_role::output: return weights::format_names<typename S::output>();
      }
      return std::string();
    };
    const auto check = [&](const io::tensor_info& t, weight_role role) -> std::optional<std::string> {
      if (accepts(role, t.type)) return std::nullopt;
      return t.file_name + " is " + quant::type_name(t.type) + ", " + std::string(to_string(role)) +
             " weights are " + formats(role);
    };
    for (const auto& name : source_->names()) {
      const auto t = source_->info(name);
      if (!t || t->shape.size() != 2) continue;
      if (auto why = check(*t, role_of(name))) return why;
    }
    // A tied model's output is its embedding matrix.
    if (!source_->contains("lm_head.weight"))
      for (const std::string_view name : {std::string_view("model.embed_tokens.weight"), glm130b_embedding})
        if (const auto embed = source_->info(name))
          if (auto why = check(*embed, weight_role::output)) return *why + " (the tied output)";
    return std::nullopt;
  }

 private:
  static std::string folder_name(const std::filesystem::path& path) {
    const auto p = std::filesystem::absolute(path).lexically_normal();
    return p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
  }

  std::filesystem::path path_;
  std::shared_ptr<const io::gguf_file> gguf_;
  std::shared_ptr<const io::tensor_source> source_;
  model_shape shape_;
  std::string name_;
};

namespace detail {

inline bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <model_config C, file_types::file_type... FTs, class Use>
void open_as(const model_file& file, const model_shape& found, const open_options& options, Use& use,
             file_types::list<FTs...>) {
  const auto load = [&]<file_types::file_type FT>(load_options how) {
    use(model<C, typename FT::scheme>::from_source(file.source(), found, file.path().string(), how));
  };
  if (!options.file_type.empty()) {
    const bool known = ((same_name(FTs::name, options.file_type) ? (load.template operator()<FTs>(options.load), true)
                                                                 : false) ||
                        ...);
    if (!known) {
      std::string names;
      ((names += (names.empty() ? "" : ", ") + std::string(FTs::name)), ...);
      throw invalid_argument("unknown file type '" + options.file_type + "' (compiled: " + names + ")");
    }
    return;
  }
  std::string refusals;
  const auto try_one = [&]<file_types::file_type FT>() {
    if (const auto why = file.template misfit<typename FT::scheme>()) {
      refusals += "\n  " + std::string(FT::name) + ": " + *why;
      return false;
    }
    load_options in_place = options.load;
    in_place.strict_types = true;
    load.template operator()<FT>(in_place);
    return true;
  };
  if (!(try_one.template operator()<FTs>() || ...))
    throw config_mismatch(file.path().string() + ": no compiled file type holds its tensors in place" + refusals +
                          "\n(name a file type to convert the weights at load)");
}

}  // namespace detail

// Loads `file` as configuration C, whose shape the caller has matched as
// `found`, stored as the file type the options name or else the first of
// `FileTypes` that holds it in place, and calls use(const model<C, S>&).
template <model_config C, class FileTypes = file_types::all, class Use>
void open_as(const model_file& file, const model_shape& found, Use&& use, const open_options& options = {}) {
  detail::open_as<C>(file, found, options, use, FileTypes{});
}

// Opens `path` (GGUF file or HF folder) as the first configuration of
// `Configs` with the file's shape, stored as a type of `FileTypes`, and calls
// use(const glm4::model<C, S>&) with it. `use` is instantiated for every
// (configuration, file type) pair: keep it small (hand the model's network
// to code templated on the scheme only, as glm4::any_model does).
template <class Configs, class FileTypes = file_types::all, class Use>
void open_model(const model_file& file, Use&& use, const open_options& options = {}) {
  const auto try_config = [&]<model_config C>() {
    const model_shape found = file.shape_against(shape_of<C>());
    if (!io::shape_differences(shape_of<C>(), found).empty()) return false;
    open_as<C, FileTypes>(file, found, use, options);
    return true;
  };
  const bool opened = [&]<model_config... Cs>(config_list<Cs...>) {
    return (try_config.template operator()<Cs>() || ...);
  }(Configs{});
  if (opened) return;
  std::string refusals;
  [&]<model_config... Cs>(config_list<Cs...>) {
    const auto explain = [&]<model_config C>() {
      const auto diffs = io::shape_differences(shape_of<C>(), file.shape_against(shape_of<C>()));
      refusals += "\n  " + std::string(C::name) + ":";
      for (std::size_t i = 0; i < diffs.size() && i < 3; ++i) refusals += (i ? "; " : " ") + diffs[i];
      if (diffs.size() > 3) refusals += " (+" + std::to_string(diffs.size() - 3) + " more)";
    };
    (explain.template operator()<Cs>(), ...);
  }(Configs{});
  throw config_mismatch(file.path().string() + " (" + file.name() + ") matches no compiled configuration:" + refusals);
}

template <class Configs, class FileTypes = file_types::all, class Use>
void open_model(const std::filesystem::path& path, Use&& use, const open_options& options = {}) {
  open_model<Configs, FileTypes>(model_file::open(path), std::forward<Use>(use), options);
}

}  // namespace glm4::inline GLM4_TARGET
