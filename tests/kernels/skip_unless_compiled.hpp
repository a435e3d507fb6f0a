// A kernel test case that this target cannot run (its kernel is compiled
// only for an instruction set the build's -march lacks) reports itself
// skipped, with the reason, instead of passing without checking:
//
//   BOOST_AUTO_TEST_CASE(q4_0_int8_decode, *skip_unless_compiled(has_gemv<q4_0>, "q4_0's int8 decode")) { ... }
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>

namespace glm4::testing {

inline boost::unit_test::precondition skip_unless_compiled(bool compiled, std::string kernel) {
  return boost::unit_test::precondition([=](boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result here(compiled);
    here.message() << kernel << " is not compiled for this target (kernels/targets.hpp)";
    return here;
  });
}

}  // namespace glm4::testing
