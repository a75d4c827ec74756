#!/usr/bin/env bash
# The quickstart recipe end to end, on an idle machine and with one core kept busy by another
# process (a shell loop), under MiDistill's default threads against the default before issue 12
# (every core, OpenMP's own wait: spin 300,000 times, then sleep). Each run gets its own output
# and cache folders, so every run pretrains its teacher. Prints a Markdown table of wall-clock
# times; a run still going after the limit is stopped and shown as such, with the last of the
# recipe's variant/seed units it had started. The runs' logs are kept under
# /tmp/midistill-quickstart-load-logs.
# usage: bench/quickstart-load.sh [limit-seconds (default 1200)] [configurations, default: all]
#   configurations: idle-default idle-before busy-default busy-before late-default late-before
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
logs=/tmp/midistill-quickstart-load-logs
mkdir -p "$logs"
trap 'rm -rf "$work"' EXIT

run() { # name
  local name=$1 load=${1%%-*} threads=${1#*-} hog= start end status
  local -a env=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT) args=()
  if [ "$threads" = before ]; then env+=(GOMP_SPINCOUNT=300000); args=(--threads "$cores"); fi
  if [ "$load" = busy ]; then sh -c 'while :; do :; done' & hog=$!; sleep 1; fi
  # "late": the loop starts 150 s into the run (during the teacher's pretraining).
  if [ "$load" = late ]; then (sleep 150; exec sh -c 'while :; do :; done') & hog=$!; fi
  start=$(date +%s.%N)
  if "${env[@]}" timeout "$limit" dotnet recipes/bin/Release/net10.0/midistill-recipes.dll run quickstart \
       --output "$work/$name/runs" --cache "$work/$name/cache" "${args[@]}" >"$logs/$name.log" 2>&1; then status=finished
  else status="stopped (exit $?)"; fi
  end=$(date +%s.%N)
  [ -z "$hog" ] || kill "$hog"
  local header changes units last
  header=$(grep -m1 -o '[0-9]* thread(s) (.*), [0-9]* data' "$logs/$name.log" | sed 's/, [0-9]* data$//' || true)
  changes=$(grep -c '^threads: ' "$logs/$name.log" || true)
  units=$(grep -c '^\[[^]]*\] data: ' "$logs/$name.log" || true)
  last=$(grep '^\[[^]]*\] data: ' "$logs/$name.log" | tail -1 | cut -d' ' -f1 || true)
  printf '| %s | %s | %.0f | %s | %s (%s units started) | %s |\n' "$name" "$header" "$(echo "$end - $start" | bc)" "$status" "$last" "$units" "$changes"
}

echo "quickstart under load: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), limit ${limit} s, $(date -u +%F)"
echo "| configuration | threads (run header) | wall-clock s | | last unit started | thread changes |"
echo "|---|---|---|---|---|---|"
for c in "${configs[@]}"; do run "$c"; done
