#!/usr/bin/env bash
# Runs the quickstart recipe end to end on Fashion-MNIST (installs the dataset if missing).
# Extra arguments go to the experiment executable, e.g. ./quickstart.sh --variant remem
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-dataset.sh
dotnet build recipes/MiDistill.Recipes.csproj -c Release -v quiet -nologo
dotnet recipes/bin/Release/net10.0/midistill-recipes.dll run quickstart "$@"
