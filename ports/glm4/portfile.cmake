# glm4.hpp as an overlay port of this checkout:
#   vcpkg install glm4 --overlay-ports=<glm4.hpp>/ports
# For a registry, SOURCE_PATH would come from the release instead:
#   vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/glm4.hpp
#                     REF "v${VERSION}" SHA512 <sha512 of the archive> HEAD_REF main)
# CI cannot run vcpkg; scripts/test_vcpkg_port.sh repeats these steps
# (docs/packaging.md).
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

# Header-only: one (release) configuration, nothing compiled.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DBUILD_TESTING=OFF
        -DGLM4_BUILD_TESTS=OFF
        -DGLM4_BUILD_EXAMPLES=OFF
        -DGLM4_BUILD_APPS=OFF
        -DGLM4_BUILD_BENCH=OFF
        -DGLM4_NATIVE=OFF
        -DGLM4_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/glm4)
vcpkg_fixup_pkgconfig()

# glm4 installs no lib/ and no debug/ (header-only); removed in case.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
