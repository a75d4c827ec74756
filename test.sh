#!/usr/bin/env bash
# Builds the whole solution (recipes included: a broken recipe must fail here), runs every test
# project, and ends with one line "N passed, N failed" summed over the test assemblies.
set -uo pipefail
cd "$(dirname "$0")"
# The test command checks snapshots; it never approves them (see tests/.../Infrastructure/Approvals.cs).
unset MIDISTILL_ACCEPT VERIFY_AUTOVERIFY
# What the tests meet for real: Fashion-MNIST, a headless browser for the report, a one-node Slurm,
# Python's standard library (an independent reader of the model files), and two editors' machinery.
scripts/ensure-dataset.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/ensure-chromium.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/ensure-slurm.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/ensure-python.sh || { echo "0 passed, 1 failed"; exit 1; }
# The editor tests: neovim and the VS Code extension's npm packages (editors/vscode).
scripts/ensure-editors.sh || { echo "0 passed, 1 failed"; exit 1; }

# `dotnet test` alone would not build the recipes project, so build the solution first.
if ! dotnet build MiDistill.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# C# whitespace against .editorconfig (about 20 s); a difference counts as one failed test below.
format_failed=0
scripts/check-format.sh || format_failed=1

log=$(mktemp)
dotnet test MiDistill.sln -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

[ "$format_failed" -eq 0 ] || echo "the format check failed (scripts/check-format.sh, output above): counted as 1 failed"
# The closing line; also fails when no test ran or a test project of the solution reported nothing.
scripts/test-summary.sh "$log" "$status" "$format_failed"
result=$?
rm -f "$log"
exit "$result"
