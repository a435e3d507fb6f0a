// GLM-130B generates by filling a blank: the prompt is text with a [MASK]
// (a short span inside it), an [sMASK] (a sentence) or a [gMASK] (the rest,
// appended when the text has no mask), then <sop>; the answer is decoded
// until <eop> or eos and replaces the mask. The rules follow GLM-130B's
// generate.py (fill_blanks, get_masks_and_position_ids):
//   - eos follows the text unless it ends with a mask;
//   - the context (everything before <sop>) is attended both ways;
//   - with [MASK] or [sMASK], <sop> and every answer token take the mask's
//     position; with [gMASK] positions go on.
//
//   auto prompt = glm4::blank_prompt_ids(tokens.encode_with_masks(text), ids);
//   session.prefill(prompt, glm4::logits_for::last, glm4::blank_layout(prompt, ids));
//   ... then decode as usual: the session keeps the layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/model/attention_layout.hpp"

namespace glm4 {

// The command tokens of blank filling.
struct blank_ids {
  std::int32_t mask, smask, gmask, eos, sop, eop;

  // From a tokenizer's commands by icetk's names (glm4::icetk_tokenizer).
  template <class Commands>
  static blank_ids of(const Commands& t) {
    return {.mask = t.command("[MASK]"), .smask = t.command("[sMASK]"), .gmask = t.command("[gMASK]"),
            .eos = t.command("eos"), .sop = t.command("sop"), .eop = t.command("eop")};
  }

  bool is_mask(std::int32_t id) const { return id == mask || id == smask || id == gmask; }
  bool ends_answer(std::int32_t id) const { return id == eop || id == eos; }
};

// The mask markers of prompt text, as GLM-130B's generate.py spells them.
inline constexpr std::string_view mask_markers[] = {"[MASK]", "[sMASK]", "[gMASK]"};

// Encodes text whose masks are written as [MASK], [sMASK], [gMASK]: the
// pieces between them with `encode(std::string_view) -> std::vector<int32_t>`
// and each marker as its command id.
template <class Encode>
std::vector<std::int32_t> encode_with_masks(std::string_view text, const blank_ids& ids, Encode&& encode) {
  std::vector<std::int32_t> out;
  const std::int32_t marker_ids[] = {ids.mask, ids.smask, ids.gmask};
  for (;;) {
    std::size_t at = std::string_view::npos, which = 0;
    for (std::size_t m = 0; m < std::size(mask_markers); ++m)
      if (const auto p = text.find(mask_markers[m]); p < at) at = p, which = m;
    const auto piece = encode(text.substr(0, at));
    out.insert(out.end(), piece.begin(), piece.end());
    if (at == std::string_view::npos) return out;
    out.push_back(marker_ids[which]);
    text.remove_prefix(at + mask_markers[which].size());
  }
}

// The whole prompt from the text's ids: a [gMASK] appended when the text has
// no mask, eos when it does not end with one, then <sop>.
inline std::vector<std::int32_t> blank_prompt_ids(std::span<const std::int32_t> text_ids, const blank_ids& ids) {
  std::vector<std::int32_t> out(text_ids.begin(), text_ids.end());
  if (std::none_of(out.begin(), out.end(), [&](std::int32_t id) { return ids.is_mask(id); })) out.push_back(ids.gmask);
  if (!ids.is_mask(out.back())) out.push_back(ids.eos);
  out.push_back(ids.sop);
  return out;
}

// The blank being filled: the first [MASK], else the first [sMASK], else the
// first [gMASK] (generate.py's choice of generation mask).
inline std::size_t blank_position(std::span<const std::int32_t> prompt, const blank_ids& ids) {
  for (const std::int32_t mask : {ids.mask, ids.smask, ids.gmask})
    if (const auto it = std::find(prompt.begin(), prompt.end(), mask); it != prompt.end())
      return static_cast<std::size_t>(it - prompt.begin());
  throw invalid_argument("a blank-filling prompt needs a [MASK], [sMASK] or [gMASK] token");
}

// The attention layout of a whole prompt (ending with <sop>) and its answer.
inline attention_layout blank_layout(std::span<const std::int32_t> prompt, const blank_ids& ids) {
  if (prompt.empty() || prompt.back() != ids.sop)
    throw invalid_argument("a blank-filling prompt ends with <sop> (id " + std::to_string(ids.sop) + ")");
  const std::size_t blank = blank_position(prompt, ids);
  attention_layout layout{.shared = prompt.size() - 1};
  if (prompt[blank] != ids.gmask) {
    layout.pinned_from = prompt.size() - 1;
    layout.pinned = static_cast<std::int64_t>(blank);
  }
  return layout;
}

// The prompt with its blank replaced by the answer (the closing <eop>/eos
// dropped) and without <sop>: when it still has a blank, it plus <sop> is the
// next round's prompt (generate.py fills blanks one at a time).
inline std::vector<std::int32_t> fill_blank(std::span<const std::int32_t> prompt, std::span<const std::int32_t> answer,
                                            const blank_ids& ids) {
  const std::size_t blank = blank_position(prompt, ids);
  std::size_t text_end = prompt.size();
  if (text_end > 0 && prompt[text_end - 1] == ids.sop) --text_end;
  std::vector<std::int32_t> out(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(blank));
  for (const auto id : answer)
    if (!ids.ends_answer(id)) out.push_back(id);
  out.insert(out.end(), prompt.begin() + static_cast<std::ptrdiff_t>(blank) + 1,
             prompt.begin() + static_cast<std::ptrdiff_t>(text_end));
  return out;
}

}  // namespace glm4
