"""Conan 2 recipe for glm4.hpp (header-only).

    conan create . -s compiler.cppstd=20

builds and runs test_package/ against the created package. Highway and
nlohmann_json come from ConanCenter under their ConanCenter names;
docs/packaging.md shows how the recipe is tested without ConanCenter.
"""
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class Glm4Conan(ConanFile):
    name = "glm4"
    description = "Header-only C++20 inference for the GLM-4 family on CPUs"
    license = "Apache-2.0"
    topics = ("llm", "glm-4", "inference", "simd", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        # One version, CMakeLists.txt's project(glm4 VERSION ...).
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(glm4 VERSION ([0-9.]+)", cmakelists).group(1)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # glm4's public headers include Highway's and nlohmann_json's. Only
        # Highway's headers are used (HWY_COMPILE_ONLY_STATIC), but the
        # components below still put its static libraries on the consumer's
        # link line, where no object of them is pulled in.
        self.requires("highway/[>=1.0.3 <1.1]", transitive_headers=True)
        self.requires("nlohmann_json/[>=3.11 <4]", transitive_headers=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 20)

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*", os.path.join(self.source_folder, "include"),
             os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "glm4")
        self.cpp_info.set_property("cmake_target_name", "glm4::glm4")
        self.cpp_info.set_property("pkg_config_name", "glm4")
        self.cpp_info.defines = ["HWY_COMPILE_ONLY_STATIC=1"]
        # ConanCenter's highway recipe names its components hwy and hwy_contrib
        # (CMake targets highway::hwy, highway::hwy_contrib); nlohmann_json's
        # target is nlohmann_json::nlohmann_json.
        self.cpp_info.requires = ["highway::hwy", "highway::hwy_contrib", "nlohmann_json::nlohmann_json"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
