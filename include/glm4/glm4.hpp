// glm4.hpp: GLM-4 family inference on CPUs, header-only. The one include
// for the model, the tokenizer, chat formatting and the sampler.
//
//   #include <glm4/glm4.hpp>
//   using Model = glm4::model<glm4::presets::glm4_9b_0414, glm4::weights::bf16>;
//   auto model = Model::load("GLM-4-9B-0414/");
//   glm4::session run(model, {.context = 8192, .threads = 4});
//   auto logits = run.prefill(prompt_ids);
#pragma once

#include "glm4/chat/detect.hpp"
#include "glm4/chat/end_of_turn.hpp"
#include "glm4/chat/message.hpp"
#include "glm4/chat/reply.hpp"
#include "glm4/chat/reply_stream.hpp"
#include "glm4/chat/template.hpp"
#include "glm4/config/model_config.hpp"
#include "glm4/config/presets.hpp"
#include "glm4/core/error.hpp"
#include "glm4/model/any_model.hpp"
#include "glm4/model/blank_filling.hpp"
#include "glm4/model/file_types.hpp"
#include "glm4/model/generate.hpp"
#include "glm4/model/model.hpp"
#include "glm4/model/open.hpp"
#include "glm4/model/prompt_lookup.hpp"
#include "glm4/model/session.hpp"
#include "glm4/model/step_batcher.hpp"
#include "glm4/model/token_generator.hpp"
#include "glm4/model/weight_scheme.hpp"
#include "glm4/sampling/sampler.hpp"
#include "glm4/tokenizer/open.hpp"
#include "glm4/tokenizer/stream_decoder.hpp"
#include "glm4/tokenizer/tokenizer.hpp"
#include "glm4/version.hpp"
