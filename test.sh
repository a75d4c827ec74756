#!/usr/bin/env bash
# Builds the whole solution (recipes included: a broken recipe must fail here), runs every test
# project, and ends with one line "N passed, N failed" summed over the test assemblies.
set -uo pipefail
cd "$(dirname "$0")"
# The test command checks snapshots; it never approves them (see tests/.../Infrastructure/Approvals.cs).
unset MIDISTILL_ACCEPT VERIFY_AUTOVERIFY
# What the tests meet for real: Fashion-MNIST, a headless browser for the report, a one-node Slurm.
scripts/ensure-dataset.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/ensure-chromium.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/ensure-slurm.sh || { echo "0 passed, 1 failed"; exit 1; }

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

passed=0; failed=0; skipped=0
while read -r line; do
  f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s))
done < <(grep -E '^(Passed|Failed)! +- ' "$log")
rm -f "$log"

# A test host that crashes prints no summary line; never report that as green.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status without reporting a failed test (a test host crashed?)"
  failed=1
fi
if [ "$format_failed" -ne 0 ]; then
  echo "the format check failed (scripts/check-format.sh, output above): counted as 1 failed"
  failed=$((failed + 1))
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
