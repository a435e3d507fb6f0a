// The token ids that end an assistant turn in every released GLM-4 vocabulary
// (glm-4-9b-chat, GLM-4-0414, GLM-Z1): HF generation_config's eos_token_id
// [151329, 151336, 151338], THUDM's openai_api_server "stop_token_ids" and
// chatllm.cpp's terminate_ids {eos, user, observation} all agree (spec C.2).
// A fact of the presets' vocabulary, so the sampler's default and the chat
// code share it without depending on each other; a model with another
// vocabulary looks them up by name (chat/end_of_turn.hpp).
//
// <|user|> and <|observation|> stop generation because the model hands the
// turn back by opening the next speaker's block; <|assistant|> is not a stop:
// a tool call may follow the model's own text in a fresh assistant block.
#pragma once

#include <array>
#include <cstdint>

namespace glm4::presets {

inline constexpr std::int32_t endoftext_id = 151329;
inline constexpr std::int32_t user_id = 151336;
inline constexpr std::int32_t observation_id = 151338;

inline constexpr std::array<std::int32_t, 3> stop_ids{endoftext_id, user_id, observation_id};

}  // namespace glm4::presets
