// The library's version, for the preprocessor and for C++. It must equal
// CMakeLists.txt's `project(glm4 VERSION ...)`; tests/core/version_test.cpp
// compares the two, so a release bumps both or the test fails.
#pragma once

#include <string_view>

#define GLM4_VERSION_MAJOR 0
#define GLM4_VERSION_MINOR 1
#define GLM4_VERSION_PATCH 0

// The same as a string literal (it concatenates with other literals); the
// test checks it against the numbers.
#define GLM4_VERSION_STRING "0.1.0"

namespace glm4 {

// Semantic version; compares field by field, so `glm4::version >= glm4::version_t{0, 2, 0}`
// reads as a feature check.
struct version_t {
  int major;
  int minor;
  int patch;

  friend constexpr auto operator<=>(const version_t&, const version_t&) = default;
};

inline constexpr version_t version{GLM4_VERSION_MAJOR, GLM4_VERSION_MINOR, GLM4_VERSION_PATCH};
inline constexpr std::string_view version_string = GLM4_VERSION_STRING;

}  // namespace glm4
