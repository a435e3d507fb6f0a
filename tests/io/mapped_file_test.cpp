// The file mapping: its bytes, the errors that name the path, and
// residency(), which reports the mapping's resident and 2 MiB-mapped bytes
// from the kernel (the figures glm4-bench prints beside its decode speed);
// and what a program sees when a mapped file shrinks under it.
#define BOOST_TEST_MODULE io_mapped_file
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
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

namespace {

// What a forked child left: how it ended and what it wrote on stderr.
struct child_result {
  int status = 0;
  std::string stderr_text;
};

// Runs `body` in a child whose stderr is captured. `body` gets a pipe end
// to say "ready" and one to wait for the parent's go; between the two the
// parent runs `meanwhile`.
template <class Body, class Meanwhile>
child_result run_child(Body body, Meanwhile meanwhile) {
  int err[2], ready[2], go[2];
  BOOST_TEST_REQUIRE(::pipe(err) == 0);
  BOOST_TEST_REQUIRE(::pipe(ready) == 0);
  BOOST_TEST_REQUIRE(::pipe(go) == 0);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err[1], STDERR_FILENO);
    body(ready[1], go[0]);
    ::_exit(0);
  }
  ::close(err[1]);
  ::close(ready[1]);
  ::close(go[0]);
  char byte = 0;
  BOOST_TEST_REQUIRE(::read(ready[0], &byte, 1) == 1, "the child died before it was ready");
  meanwhile();
  BOOST_TEST_REQUIRE(::write(go[1], &byte, 1) == 1);
  child_result r;
  char buffer[4096];
  for (ssize_t n; (n = ::read(err[0], buffer, sizeof buffer)) > 0;)
    r.stderr_text.append(buffer, static_cast<std::size_t>(n));
  ::waitpid(pid, &r.status, 0);
  for (const int fd : {err[0], ready[0], go[1]}) ::close(fd);
  return r;
}

void signal_ready(int fd) {
  const char byte = 1;
  if (::write(fd, &byte, 1) != 1) ::_exit(90);
}
void wait_for_go(int fd) {
  char byte = 0;
  if (::read(fd, &byte, 1) != 1) ::_exit(91);
}

}  // namespace

// A file truncated while mapped: the next read of a page past its new end
// is a SIGBUS, which exit_on_mapping_fault turns into a message naming the
// file and the exit status asked for.
BOOST_AUTO_TEST_CASE(a_file_truncated_while_mapped_exits_with_its_name) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const fs::path p = temp_file("glm4-mapped-shrinks", std::vector<char>(64 * page, 'w'));
  constexpr int status = 5;
  const child_result r = run_child(
      [&](int ready, int go) {
        glm4::io::exit_on_mapping_fault(status);
        const auto file = mapped_file::open(p);
        const auto read_every_page = [&] {
          const volatile std::byte* bytes = file->bytes().data();
          for (std::size_t i = 0; i < file->size(); i += page) (void)bytes[i];
        };
        read_every_page();
        signal_ready(ready);
        wait_for_go(go);
        read_every_page();
        ::_exit(0);  // read everything: the truncation went unseen
      },
      [&] { fs::resize_file(p, page); });
  fs::remove(p);
  BOOST_TEST_REQUIRE(WIFEXITED(r.status), "the child was killed by signal " << WTERMSIG(r.status));
  BOOST_TEST(WEXITSTATUS(r.status) == status);
  BOOST_TEST(r.stderr_text.find("glm4: " + p.string() + " shrank or changed while mapped: reading byte " +
                                std::to_string(page) + " of the " + std::to_string(64 * page)) == 0,
             "stderr: " << r.stderr_text);
}

// The handler speaks only for mapped files: any other SIGBUS keeps its
// default action.
BOOST_AUTO_TEST_CASE(a_sigbus_elsewhere_keeps_its_default_action) {
  const child_result r = run_child(
      [](int ready, int go) {
        glm4::io::exit_on_mapping_fault(5);
        signal_ready(ready);
        wait_for_go(go);
        ::raise(SIGBUS);
        ::_exit(0);
      },
      [] {});
  BOOST_TEST_REQUIRE(WIFSIGNALED(r.status));
  BOOST_TEST(WTERMSIG(r.status) == SIGBUS);
  BOOST_TEST(r.stderr_text.empty());
}
