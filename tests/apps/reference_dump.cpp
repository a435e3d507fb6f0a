// What the `glm4` command's tests compare against, printed for bash:
//
//   reference_dump golden MODEL_NAME      "prompt_<i> 1,2,3" and "greedy_<i> 4,5,6" lines
//                                         from tests/data/models/MODEL_NAME/reference.safetensors
//   reference_dump encode MODEL TEXT      TEXT's token ids (plain text), comma-separated
//   reference_dump decode MODEL IDS       the text of comma-separated IDS: tokenizer.decode of all
//                                         of them at once, invalid UTF-8 replaced as Python's
//                                         errors="replace" does (one U+FFFD per maximal
//                                         ill-formed subpart)
//
// MODEL is anything glm4::open_tokenizer takes (a folder or a GGUF file).
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <glm4/tokenizer/open.hpp>
#include <glm4/tokenizer/utf8.hpp>

#include "model/golden_reference.hpp"

namespace {

std::string commas(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (const auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::vector<std::int32_t> parse(std::string_view text) {
  std::vector<std::int32_t> ids;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(", ", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) ids.push_back(std::stoi(std::string(text.substr(start, end - start))));
    start = end + 1;
  }
  return ids;
}

std::string replace_invalid(std::string_view bytes) {
  std::string out;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const auto c = glm4::utf8::scan(bytes, pos);
    if (c.state == glm4::utf8::status::valid) out.append(bytes.substr(pos, c.length));
    else out.append(glm4::utf8::replacement_character);
    pos += c.length;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string_view what = argc > 1 ? argv[1] : "";
    if (what == "golden" && argc == 3) {
      const auto golden = glm4::testing::read_golden(argv[2]);
      for (std::size_t i = 0; i < golden.size(); ++i)
        std::cout << "prompt_" << i << ' ' << commas(golden[i].prompt) << "\ngreedy_" << i << ' '
                  << commas(golden[i].greedy) << '\n';
      return 0;
    }
    if (what == "encode" && argc == 4) {
      std::cout << commas(glm4::open_tokenizer(argv[2]).encode(argv[3])) << '\n';
      return 0;
    }
    if (what == "decode" && argc == 4) {
      std::cout << replace_invalid(glm4::open_tokenizer(argv[2]).decode(parse(argv[3])));
      return 0;
    }
    std::cerr << "usage: reference_dump golden MODEL_NAME | encode MODEL TEXT | decode MODEL IDS\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "reference_dump: " << e.what() << '\n';
    return 1;
  }
}
