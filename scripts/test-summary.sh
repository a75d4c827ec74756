#!/usr/bin/env bash
# The closing line of ./test.sh: sums the per-assembly lines of a `dotnet test` log into
# "N passed, N failed" (", N skipped" when any were) and exits non-zero unless all is well.
# Usage: scripts/test-summary.sh LOG DOTNET_TEST_STATUS [OTHER_FAILED]
# Counted as failed, with a line saying why:
# - a test project of MiDistill.sln that reported no results: it did not run, its host crashed
#   before the summary, or it ran no test (test projects are named *.Tests, the convention
#   tests/Directory.Build.props uses to make them test projects);
# - no test at all;
# - dotnet test exiting non-zero without reporting a failed test (a crashed test host);
# - OTHER_FAILED checks that ran before (the format check).
set -uo pipefail
log=$1; status=$2; other=${3:-0}
sln="$(cd "$(dirname "$0")/.." && pwd)/MiDistill.sln"

passed=0; failed=0; skipped=0
while read -r line; do
  f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s))
done < <(grep -E '^(Passed|Failed)! +- ' "$log")
ran=$((passed + failed + skipped))

mapfile -t projects < <(sed -nE 's/^Project\("\{[^}]+\}"\) = "([^"]+\.Tests)", "[^"]+\.csproj".*/\1/p' "$sln")
if [ "${#projects[@]}" -eq 0 ]; then
  echo "MiDistill.sln lists no test project (*.Tests)"
  failed=$((failed + 1))
fi
for name in "${projects[@]}"; do
  total=$(grep -E "^(Passed|Failed)! +- .* - ${name//./\\.}\.dll( |$)" "$log" | sed -E 's/.*Total: *([0-9]+).*/\1/' | head -n 1)
  if [ -z "$total" ] || [ "$total" -eq 0 ]; then
    echo "$name.dll reported no test results (it did not run, or ran no test): counted as 1 failed"
    failed=$((failed + 1))
  fi
done
if [ "$ran" -eq 0 ]; then
  echo "no test ran"
  [ "$failed" -gt 0 ] || failed=1
fi

# A test host that crashes prints no summary line; never report that as green.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status without reporting a failed test (a test host crashed?)"
  failed=1
fi
failed=$((failed + other))

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
