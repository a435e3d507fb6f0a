#!/usr/bin/env bash
# test_conan_recipe.sh CONAN_SOURCE [CONAN_HOME]: `conan create .` of the
# recipe (conanfile.py, test_package/) with a Conan 2 client run from its
# source tree, offline: Debian's Highway and nlohmann-json stand in for
# ConanCenter's packages through the wrapper recipes in scripts/conan/.
# A session check, not CI (it needs the Conan source and Debian's
# python3-{yaml,requests,jinja2,dateutil,distro,fasteners,colorama,urllib3,
# patch-ng}); docs/packaging.md has the commands and what this proves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=$(cd "$1" && pwd)
export CONAN_HOME=${2:-$(mktemp -d /tmp/glm4-conan-home.XXXXXX)}
# Debian's python3, whose dist-packages hold the requirements.
conan() { PYTHONPATH="$src" /usr/bin/python3 -m conans.conan "$@"; }
conan --version
conan profile detect --exist-ok
conan export scripts/conan/highway
conan export scripts/conan/nlohmann_json
conan remote disable conancenter  # offline: the wrappers above are the dependencies
conan create . -s compiler.cppstd=20 --build=missing
