#!/usr/bin/env bash
# Packs the optaic .NET tool: pack.sh OUTDIR [RUNTIMES] [extra dotnet pack arguments...]
# RUNTIMES is the native platforms to keep, separated by ';' (default: the package's four,
# linux-x64;linux-arm64;osx-arm64;win-x64). The Dockerfile and .ci/pack-and-init both run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1; shift
runtimes=${1:-}; [ $# -gt 0 ] && shift
dotnet pack engine/OptAIC.Cli -c Release -o "$out" ${runtimes:+"-p:OptaicRuntimes=$runtimes"} "$@"
