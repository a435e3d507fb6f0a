// model<Config, Scheme>: a loaded GLM-4 checkpoint whose shape is the
// compile-time Config and whose weights are stored as Scheme says.
//
//   using Model = glm4::model<glm4::presets::glm4_9b_0414, glm4::weights::bf16>;
//   auto m = Model::load("GLM-4-9B-0414/");   // config.json checked against the type
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "glm4/config/model_config.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/checkpoint.hpp"
#include "glm4/io/gguf_source.hpp"
#include "glm4/io/hf_config.hpp"
#include "glm4/io/sat_checkpoint.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/transformer.hpp"
#include "glm4/model/weight_scheme.hpp"
#include "glm4/model/weights.hpp"

namespace glm4::inline GLM4_TARGET {

template <model_config C, weights::weight_scheme S>
class model {
  static_assert(check_config<C>());

 public:
  using config = C;
  using scheme = S;
  static constexpr model_shape shape = shape_of<C>();

  // A Hugging Face checkpoint folder (HF Glm/Glm4 or THUDM ChatGLM layout),
  // a llama.cpp GGUF file (arch glm4 or chatglm), or a SwissArmyTransformer
  // folder (GLM-130B; its config.json, if any, is checked, the tensors always).
  static model load(const std::filesystem::path& path, const load_options& options = {}) {
    if (std::filesystem::is_regular_file(path)) return load_gguf(path, options);
    if (!io::sat_checkpoint::partition_files(path).empty()) {
      const io::sat_checkpoint source(path);
      const auto config = path / "config.json";
      const model_shape found = std::filesystem::exists(config) ? io::read_model_config(config) : shape;
      return from_source(source, found, source.describe(), options);
    }
    io::checkpoint_folder source(path);
    const auto found = io::read_model_config(source.config_path());
    return from_source(source, found, source.config_path().string(), options);
  }

  // Any tensor source whose own description of the model is `found`
  // (checked against the compiled shape; `where` names it in messages).
  static model from_source(const io::tensor_source& source, const model_shape& found, const std::string& where,
                           const load_options& options = {}) {
    io::require_shape(shape, found, C::name, where);
    return model(std::make_shared<const transformer<S>>(shape, load_weights<S>(source, shape, options)));
  }

  static model load_gguf(const std::filesystem::path& file, const load_options& options = {}) {
    const io::gguf_source source(io::gguf_file::open(file));
    return from_source(source, io::shape_from_gguf(source.file(), shape), file.string(), options);
  }

  const transformer<S>& network() const { return *net_; }
  std::shared_ptr<const transformer<S>> share() const { return net_; }

 private:
  explicit model(std::shared_ptr<const transformer<S>> net) : net_(std::move(net)) {}
  std::shared_ptr<const transformer<S>> net_;
};

}  // namespace glm4::inline GLM4_TARGET
