"""Debian's libhwy-dev as a Conan package, for testing glm4's recipe offline.

It has ConanCenter's name, components and CMake target names (highway::hwy,
highway::hwy_contrib), but packages nothing: headers and libraries are the
system's (/usr/include, the default library path). scripts/test_conan_recipe.sh
exports it; it is not for publishing.
"""
from conan import ConanFile


class SystemHighwayConan(ConanFile):
    name = "highway"
    version = "1.0.3"
    description = "Debian's libhwy-dev 1.0.3 under ConanCenter's names (system package)"
    license = "Apache-2.0"
    package_type = "static-library"
    settings = "os", "arch", "compiler", "build_type"

    def package_id(self):
        self.info.clear()

    def package_info(self):
        for component in ("hwy", "hwy_contrib"):
            c = self.cpp_info.components[component]
            c.includedirs = []
            c.libdirs = []
            c.bindirs = []
            c.system_libs = [component]
        self.cpp_info.components["hwy"].set_property("pkg_config_name", "libhwy")
        self.cpp_info.components["hwy_contrib"].set_property("pkg_config_name", "libhwy-contrib")
        self.cpp_info.components["hwy_contrib"].requires = ["hwy"]
