// Which cache positions a token attends to and at which rotary position it
// sits. GLM-4 is plainly causal with position = cache slot. GLM-130B fills
// blanks (GLM-130B's generate.py, get_masks_and_position_ids):
//   - its context, the prompt up to the <sop> that starts the answer, is
//     attended both ways: every token sees the whole context;
//   - with [MASK] (a blank inside the text), <sop> and every generated token
//     take the [MASK]'s position; with [gMASK] positions simply go on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace glm4 {

struct attention_layout {
  // Cache positions [0, shared) are seen by every token, earlier or later.
  std::size_t shared = 0;
  // Cache positions from `pinned_from` on take the rotary position `pinned`.
  std::size_t pinned_from = std::numeric_limits<std::size_t>::max();
  std::int64_t pinned = 0;

  std::int64_t rotary_position(std::size_t slot) const {
    return slot >= pinned_from ? pinned : static_cast<std::int64_t>(slot);
  }
};

}  // namespace glm4
