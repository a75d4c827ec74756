#!/usr/bin/env bash
# The quickstart recipe end to end, on an idle machine and with one core kept busy by another
# process (a shell loop), under MiDistill's default threads against the default before issue 12
# (every core, OpenMP's own wait: spin 300,000 times, then sleep). Each run gets its own output
# and cache folders, so every run pretrains its teacher. Prints a Markdown table of wall-clock
# times; a run still going after the limit is stopped and shown as such.
# usage: bench/quickstart-load.sh [limit-seconds (default 1200)] [configurations, default: all]
#   configurations: idle-default idle-before busy-default busy-before
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-1200}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(idle-default idle-before busy-default busy-before)
cores=$(nproc)
scripts/ensure-dataset.sh >/dev/null
dotnet build recipes/MiDistill.Recipes.csproj -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d /tmp/midistill-quickstart-load.XXXXXX)
trap 'rm -rf "$work"' EXIT

run() { # name
  local name=$1 load=${1%%-*} threads=${1#*-} hog= start end status
  local -a env=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT) args=()
  if [ "$threads" = before ]; then env+=(GOMP_SPINCOUNT=300000); args=(--threads "$cores"); fi
  if [ "$load" = busy ]; then sh -c 'while :; do :; done' & hog=$!; sleep 1; fi
  start=$(date +%s.%N)
  if "${env[@]}" timeout "$limit" dotnet recipes/bin/Release/net10.0/midistill-recipes.dll run quickstart \
       --output "$work/$name/runs" --cache "$work/$name/cache" "${args[@]}" >"$work/$name.log" 2>&1; then status=finished
  else status="stopped (exit $?)"; fi
  end=$(date +%s.%N)
  [ -z "$hog" ] || kill "$hog"
  local header changes
  header=$(grep -m1 -o '[0-9]* thread(s) ([^)]*)' "$work/$name.log" || true)
  changes=$(grep -c '^threads: ' "$work/$name.log" || true)
  printf '| %s | %s | %.0f | %s | %s |\n' "$name" "$header" "$(echo "$end - $start" | bc)" "$status" "$changes"
}

echo "quickstart under load: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), limit ${limit} s, $(date -u +%F)"
echo "| configuration | threads (run header) | wall-clock s | | thread changes |"
echo "|---|---|---|---|---|"
for c in "${configs[@]}"; do run "$c"; done
