# Cross-compiling for 64-bit ARM Linux with Debian's cross toolchain
# (g++-aarch64-linux-gnu):
#
#   cmake -S . -B build-arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DGLM4_AARCH64_MARCH=armv8.2-a+dotprod+crypto
#
# GLM4_AARCH64_MARCH picks the SIMD target (docs/targets.md: Highway 1.0.3's
# NEON needs +crypto; +sve for SVE). GLM4_AARCH64_STATIC links static
# binaries, which qemu-aarch64 runs without an ARM64 root file system; CMake
# then runs the tests through qemu (CMAKE_CROSSCOMPILING_EMULATOR).
#
# glm4.hpp needs only headers from its dependencies (Highway, nlohmann-json,
# CLI11 for the command), which are the same for every architecture, so the
# host's packages serve: CMake may find their package files outside the
# target's root. Compiled libraries (cpp-httplib for `glm4 serve`, Boost.Test
# for the suite) are the target's own and are not found there, so the
# command builds without the server by default (GLM4_BUILD_SERVER).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(GLM4_AARCH64_MARCH "armv8.2-a+dotprod+crypto" CACHE STRING "-march for the ARM64 build")
option(GLM4_AARCH64_STATIC "Link static ARM64 binaries (to run them under qemu-aarch64)" ON)
set(CMAKE_CXX_FLAGS_INIT "-march=${GLM4_AARCH64_MARCH}")
set(CMAKE_C_FLAGS_INIT "-march=${GLM4_AARCH64_MARCH}")
if(GLM4_AARCH64_STATIC)
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
endif()

find_program(GLM4_QEMU_AARCH64 qemu-aarch64)
if(GLM4_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GLM4_QEMU_AARCH64})
endif()

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
# Header-only dependencies: the host's package files and headers serve.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
# Highway's package file lives in the host's multiarch directory; glm4 uses
# only the include directory it names (the library target links no libhwy).
if(NOT hwy_DIR AND NOT EXISTS /usr/lib/aarch64-linux-gnu/cmake/hwy)
  file(GLOB glm4_host_hwy_dirs LIST_DIRECTORIES true /usr/lib/*-linux-gnu/cmake/hwy)
  if(glm4_host_hwy_dirs)
    list(GET glm4_host_hwy_dirs 0 hwy_DIR)
  endif()
endif()
