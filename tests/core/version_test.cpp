// version.hpp against the version CMake's project() declares, so the header
// cannot drift from the package version find_package(glm4 0.1) checks.
#define BOOST_TEST_MODULE version
#include "glm4/version.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

#ifndef GLM4_CMAKE_VERSION
#error "tests/CMakeLists.txt passes GLM4_CMAKE_VERSION=\"${PROJECT_VERSION}\" to this test"
#endif

static_assert(glm4::version == glm4::version_t{GLM4_VERSION_MAJOR, GLM4_VERSION_MINOR, GLM4_VERSION_PATCH});
static_assert(glm4::version < glm4::version_t{GLM4_VERSION_MAJOR, GLM4_VERSION_MINOR, GLM4_VERSION_PATCH + 1});
static_assert(glm4::version > glm4::version_t{GLM4_VERSION_MAJOR - 1, 99, 99});

BOOST_AUTO_TEST_CASE(macros_match_the_cmake_project_version) {
  const std::string from_macros = std::to_string(GLM4_VERSION_MAJOR) + "." + std::to_string(GLM4_VERSION_MINOR) + "." +
                                  std::to_string(GLM4_VERSION_PATCH);
  BOOST_TEST_INFO("CMakeLists.txt project(glm4 VERSION " GLM4_CMAKE_VERSION ") but include/glm4/version.hpp says " +
                  from_macros + ": bump both together");
  BOOST_TEST(from_macros == std::string(GLM4_CMAKE_VERSION));
}

BOOST_AUTO_TEST_CASE(string_and_constexpr_forms_agree_with_the_macros) {
  BOOST_TEST(std::string(GLM4_VERSION_STRING) == GLM4_CMAKE_VERSION);
  BOOST_TEST(glm4::version_string == GLM4_VERSION_STRING);
  BOOST_TEST(glm4::version.major == GLM4_VERSION_MAJOR);
  BOOST_TEST(glm4::version.minor == GLM4_VERSION_MINOR);
  BOOST_TEST(glm4::version.patch == GLM4_VERSION_PATCH);
}
