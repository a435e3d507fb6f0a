// The file mapping: its bytes, the errors that name the path, and
// residency(), which reports the mapping's resident and 2 MiB-mapped bytes
// from the kernel (the figures glm4-bench prints beside its decode speed).
#define BOOST_TEST_MODULE io_mapped_file
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "glm4/io/mapped_file.hpp"

namespace fs = std::filesystem;
using glm4::io::mapped_file;

namespace {

fs::path temp_file(const std::string& stem, const std::vector<char>& bytes) {
  const fs::path p = fs::temp_directory_path() / (stem + "-" + std::to_string(::getpid()));
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(maps_the_whole_file) {
  std::vector<char> bytes(3 * 1024 * 1024 + 123);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 4096);
  const fs::path p = temp_file("glm4-mapped", bytes);
  {
    const auto file = mapped_file::open(p);
    BOOST_TEST(file->size() == bytes.size());
    const auto view = file->bytes();
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) mismatches += static_cast<char>(view[i]) != bytes[i];
    BOOST_TEST(mismatches == 0u);

    // Every page was just read, so all of them are resident; the 2 MiB
    // share is the kernel's choice, at most all of it.
    const auto r = file->residency();
    BOOST_TEST_REQUIRE(r.has_value(), "/proc/self/smaps does not list the mapping");
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    BOOST_TEST(r->resident == (bytes.size() + page - 1) / page * page);
    BOOST_TEST(r->huge <= r->resident);
    BOOST_TEST(r->huge % (2u << 20) == 0u);
  }
  fs::remove(p);
}

BOOST_AUTO_TEST_CASE(an_empty_file_has_no_mapping) {
  const fs::path p = temp_file("glm4-mapped-empty", {});
  const auto file = mapped_file::open(p);
  BOOST_TEST(file->size() == 0u);
  BOOST_TEST(!file->residency().has_value());
  fs::remove(p);
}

BOOST_AUTO_TEST_CASE(errors_name_the_path) {
  const fs::path missing = fs::temp_directory_path() / "glm4-no-such-file";
  try {
    mapped_file::open(missing);
    BOOST_FAIL("opened a missing file");
  } catch (const glm4::io_error& e) {
    BOOST_TEST(std::string(e.what()).find("cannot open " + missing.string()) != std::string::npos);
  }
  try {
    mapped_file::open(fs::temp_directory_path());
    BOOST_FAIL("mapped a directory");
  } catch (const glm4::io_error& e) {
    BOOST_TEST(std::string(e.what()).find("not a regular file") != std::string::npos);
  }
}
