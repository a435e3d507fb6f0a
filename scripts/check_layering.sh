#!/usr/bin/env bash
# Fails when the folders of include/glm4 include each other in a cycle, so
# that the floors stay ordered (docs/api.md: core <- quant <- kernels <- ...).
# Prints each folder -> folder include with the files that make it, and, when
# there is no cycle, the folders from the lowest floor up. The headers at the
# top of include/glm4 (glm4.hpp, version.hpp, build_info.hpp) are the roof
# and are left out. Run from anywhere: scripts/check_layering.sh
set -euo pipefail
cd "$(dirname "$0")/../include/glm4"

# "from to file" for each #include "glm4/<to>/..." in a header under <from>/.
edges=$(find . -mindepth 2 -name '*.hpp' | sed 's#^\./##' | sort |
  xargs grep -o '^#include "glm4/[a-z_0-9]*/' |
  sed -E 's#^(([^/]+)/.*):\#include "glm4/([^/]+)/$#\2 \3 \1#' |
  awk '$1 != $2' | sort -u)

echo "$edges" | awk '{ files[$1 " -> " $2] = files[$1 " -> " $2] " " $3 }
  END { for (e in files) print e ":" files[e] }' | sort

# tsort orders the folders (each before what it includes) or names the
# folders of a loop on stderr.
pairs=$(echo "$edges" | awk '{ print $1, $2 }')
if loops=$(echo "$pairs" | tsort 2>&1 >/dev/null) && [ -z "$loops" ]; then
  echo "no cycle; from the lowest floor up: $(echo "$pairs" | tsort | tac | tr '\n' ' ')"
else
  echo "cycle between folders of include/glm4:" >&2
  echo "$loops" >&2
  exit 1
fi
