#!/usr/bin/env bash
# Installs the optaic tool from a folder of packages into a tool path, as `dotnet tool install` does
# for users: install.sh PACKAGES TOOLPATH. With --slim, drops the package copies the tool store keeps
# (an image never uninstalls). The Dockerfile and .ci/pack-and-init both run it.
set -euo pipefail
packages=$1 tools=$2 slim=${3:-}
package=$(ls "$packages"/optaic.*.nupkg | head -n 1)
version=$(basename "$package" .nupkg); version=${version#optaic.}
dotnet tool install --tool-path "$tools" --add-source "$packages" optaic --version "$version"
if [ "$slim" = --slim ]; then
  find "$tools/.store" -name '*.nupkg' -delete
fi
"$tools/optaic" --version
