#!/usr/bin/env bash
# First run: install the build dependencies (Debian/Ubuntu), build the `glm4`
# command in build/ (Release), let it continue a text prompt on the small
# random-weight GLM-4 model shipped in tests/data/models/glm4-small, then
# convert that model to a Q8_0 GGUF with `glm4 quantize` and run the file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${JOBS:-2}

bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --target glm4-cli -j "$JOBS"

echo "== (the model's weights are random, so its text is odd; the point is that it runs)"
echo "== build/bin/glm4 run tests/data/models/glm4-small -p \"The quick brown fox\" -n 32"
build/bin/glm4 run tests/data/models/glm4-small -p "The quick brown fox" -n 32

echo "== build/bin/glm4 quantize tests/data/models/glm4-small build/glm4-small-Q8_0.gguf q8_0"
build/bin/glm4 quantize tests/data/models/glm4-small build/glm4-small-Q8_0.gguf q8_0
echo "== build/bin/glm4 run build/glm4-small-Q8_0.gguf -p \"The quick brown fox\" -n 32"
build/bin/glm4 run build/glm4-small-Q8_0.gguf -p "The quick brown fox" -n 32
