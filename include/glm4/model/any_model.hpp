// A model and its sessions whose configuration, weight scheme and KV-cache
// format were chosen at run time from the file, for programs that take any
// model file (the glm4 command, a server). The types are still picked once,
// at open: every forward pass runs the scheme's own compiled code, and the
// only indirection is one virtual call per prefill or decode step.
//
//   auto m = glm4::any_model::open<glm4::presets::all>("GLM-4-9B-0414-Q4_K_M.gguf");
//   glm4::any_session run = m.new_session({.context = 4096}, glm4::kv_cache_type::f16);
//   auto logits = run.prefill(prompt_ids);
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/open.hpp"
#include "glm4/model/session.hpp"
#include "glm4/quant/bf16.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/f32.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::inline GLM4_TARGET {

// How a session's KV cache stores keys and values (kv_cache.hpp): f32;
// f16 / bf16 at half the memory and a ~1e-3 logit change; q8_0 at 0.27 of
// it (int8 with an f16 scale per 32 values).
enum class kv_cache_type { f32, f16, bf16, q8_0 };

constexpr std::string_view to_string(kv_cache_type t) {
  constexpr std::string_view names[] = {"f32", "f16", "bf16", "q8_0"};
  return names[static_cast<int>(t)];
}

class any_session {
 public:
  // A session<S, KV> (int8 activations, the default) on `net` (sessions
  // hold a thread pool and cannot move: this builds it in place).
  template <weights::weight_scheme S, kv_format KV>
  static any_session of(std::shared_ptr<const transformer<S>> net, const session_options& options) {
    return any_session(std::make_unique<impl<S, KV>>(std::move(net), options));
  }

  std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which = logits_for::last) {
    return impl_->prefill(ids, which);
  }
  // Under a layout other than causal (session::prefill's, for GLM-130B).
  std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which, const attention_layout& layout) {
    return impl_->prefill(ids, which, layout);
  }
  std::span<const float> decode(std::int32_t id) { return impl_->prefill(std::span(&id, 1), logits_for::last); }
  std::int64_t position() const { return impl_->position(); }
  std::int64_t context() const { return impl_->context(); }
  std::size_t batch() const { return impl_->batch(); }
  std::size_t vocab_size() const { return impl_->vocab_size(); }
  std::size_t kv_cache_bytes() const { return impl_->kv_cache_bytes(); }
  void reset() { impl_->rewind(0); }
  void rewind(std::int64_t position) { impl_->rewind(position); }
  std::span<const float> logits() const { return impl_->logits(); }

  // session::forward_together over sessions that new_session made on one
  // model with one KV cache type.
  struct batch_item {
    any_session& run;
    std::span<const std::int32_t> ids;
    logits_for which = logits_for::last;
  };
  static void forward_together(std::span<const batch_item> items) {
    if (!items.empty()) items.front().run.impl_->forward_together(items);
  }

 private:
  struct base {
    virtual ~base() = default;
    virtual std::span<const float> prefill(std::span<const std::int32_t>, logits_for) = 0;
    virtual std::span<const float> prefill(std::span<const std::int32_t>, logits_for, const attention_layout&) = 0;
    virtual std::int64_t position() const = 0;
    virtual std::int64_t context() const = 0;
    virtual std::size_t batch() const = 0;
    virtual std::size_t vocab_size() const = 0;
    virtual std::size_t kv_cache_bytes() const = 0;
    virtual void rewind(std::int64_t) = 0;
    virtual std::span<const float> logits() const = 0;
    virtual void forward_together(std::span<const batch_item>) = 0;
  };
  template <weights::weight_scheme S, kv_format KV>
  struct impl final : base {
    impl(std::shared_ptr<const transformer<S>> net, const session_options& options) : run(std::move(net), options) {}
    std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which) override {
      return run.prefill(ids, which);
    }
    std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which,
                                   const attention_layout& layout) override {
      return run.prefill(ids, which, layout);
    }
    std::int64_t position() const override { return run.position(); }
    std::int64_t context() const override { return run.context(); }
    std::size_t batch() const override { return run.batch(); }
    std::size_t vocab_size() const override { return run.vocab_size(); }
    std::size_t kv_cache_bytes() const override { return run.kv_cache_bytes(); }
    void rewind(std::int64_t position) override { run.rewind(position); }
    std::span<const float> logits() const override { return run.logits(); }
    void forward_together(std::span<const batch_item> items) override {
      std::vector<typename session<S, KV>::batch_item> same;
      same.reserve(items.size());
      for (const batch_item& it : items) {
        auto* other = dynamic_cast<impl*>(it.run.impl_.get());
        if (other == nullptr)
          throw invalid_argument("sessions of different weight schemes or KV cache types cannot run together");
        same.push_back({other->run, it.ids, it.which});
      }
      session<S, KV>::forward_together(same);
    }
    session<S, KV> run;
  };
  explicit any_session(std::unique_ptr<base> impl) : impl_(std::move(impl)) {}
  std::unique_ptr<base> impl_;
};

class any_model {
 public:
  // Opens `path` with glm4::open_model over these lists (open.hpp).
  template <class Configs, class FileTypes = file_types::all>
  static any_model open(const std::filesystem::path& path, const open_options& options = {}) {
    return open<Configs, FileTypes>(model_file::open(path), options);
  }
  template <class Configs, class FileTypes = file_types::all>
  static any_model open(const model_file& file, const open_options& options = {}) {
    any_model out;
    open_model<Configs, FileTypes>(
        file,
        [&]<model_config C, weights::weight_scheme S>(const model<C, S>& m) {
          out.config_name_ = C::name;
          out.file_type_ = file_types::name_of<S>(FileTypes{});
          out.net_ = std::make_shared<network<S>>(m.share());
        },
        options);
    return out;
  }

  // The compiled configuration and file type the model was opened as.
  std::string_view config_name() const { return config_name_; }
  std::string_view file_type() const { return file_type_; }
  const model_shape& shape() const { return net_->shape(); }
  // Bytes of the weight matrices as stored (in place or converted).
  std::size_t weight_bytes() const { return net_->weight_bytes(); }

  any_session new_session(const session_options& options = {}, kv_cache_type kv = kv_cache_type::f16) const {
    return net_->new_session(options, kv);
  }

 private:
  struct network_base {
    virtual ~network_base() = default;
    virtual const model_shape& shape() const = 0;
    virtual std::size_t weight_bytes() const = 0;
    virtual any_session new_session(const session_options&, kv_cache_type) const = 0;
  };
  template <weights::weight_scheme S>
  struct network final : network_base {
    explicit network(std::shared_ptr<const transformer<S>> n) : net(std::move(n)) {}
    const model_shape& shape() const override { return net->shape(); }
    std::size_t weight_bytes() const override { return net->weights().matrix_bytes(); }
    any_session new_session(const session_options& options, kv_cache_type kv) const override {
      switch (kv) {
        case kv_cache_type::f32: return any_session::of<S, quant::f32>(net, options);
        case kv_cache_type::f16: return any_session::of<S, quant::f16>(net, options);
        case kv_cache_type::bf16: return any_session::of<S, quant::bf16>(net, options);
        case kv_cache_type::q8_0: return any_session::of<S, quant::q8_0>(net, options);
      }
      throw invalid_argument("unknown KV cache type");
    }
    std::shared_ptr<const transformer<S>> net;
  };

  std::string config_name_;
  std::string file_type_;
  std::shared_ptr<const network_base> net_;
};

}  // namespace glm4::inline GLM4_TARGET
