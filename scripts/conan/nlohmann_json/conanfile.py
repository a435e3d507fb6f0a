"""Debian's nlohmann-json3-dev as a Conan package, for testing glm4's recipe
offline: ConanCenter's name and CMake names (nlohmann_json,
nlohmann_json::nlohmann_json), headers from /usr/include. Exported by
scripts/test_conan_recipe.sh; not for publishing.
"""
from conan import ConanFile


class SystemNlohmannJsonConan(ConanFile):
    name = "nlohmann_json"
    version = "3.11.2"
    description = "Debian's nlohmann-json3-dev 3.11.2 under ConanCenter's names (system package)"
    license = "MIT"
    package_type = "header-library"

    def package_id(self):
        self.info.clear()

    def package_info(self):
        self.cpp_info.includedirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.bindirs = []
        self.cpp_info.set_property("cmake_file_name", "nlohmann_json")
        self.cpp_info.set_property("cmake_target_name", "nlohmann_json::nlohmann_json")
        self.cpp_info.set_property("pkg_config_name", "nlohmann_json")
