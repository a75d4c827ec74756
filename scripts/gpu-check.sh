#!/usr/bin/env bash
# The first check of MiDistill on a GPU (issue 26): a few minutes on one NVIDIA GPU. It has never run:
# no GPU and no CUDA LibTorch package were available where it was written (docs/performance.md, "CUDA").
#
# What it needs on the GPU machine (it checks each and says which is missing, exit 2):
#   - an NVIDIA driver (`nvidia-smi` lists a GPU);
#   - a .NET SDK 10 (`dotnet`), which the lent GPU machines do not have: install it, or publish
#     self-contained elsewhere and bring the folder (then skip the build with --no-build);
#   - the CUDA LibTorch NuGet package libtorch-cuda-12.8-linux-x64 2.10.0 (several GB; TorchSharp-cuda-linux
#     0.107.0 brings it), reachable from a NuGet source or already in ~/.nuget/packages: the build uses
#     -p:MiDistillTorchBackend=cuda. The package registry of the development machines does not serve it;
#   - Fashion-MNIST (scripts/ensure-dataset.sh installs Debian's package, or set MIDISTILL_FASHION_MNIST).
#
# What it does, printing every result and writing them to gpu-check.txt in the output folder:
#   1. builds the solution with the CUDA backend (unless --no-build);
#   2. runs the test recipes tiny, killable and resumable with --device cuda, timed (wall-clock seconds);
#   3. runs killable on CUDA, kills it (SIGKILL) before its 2nd stage checkpoint is renamed, resumes it, and
#      compares its metrics with the uninterrupted CUDA run: the same lines (epochs, stages), values
#      within --tolerance (GPU kernels are not deterministic, docs/training.md "Reproducibility");
#   4. runs tiny on the CPU and compares the CUDA metrics with the CPU's within the tolerance;
#   5. runs the quickstart (recipes/quickstart.distill, whole; 15-25 min on 1 CPU thread, unmeasured on a
#      GPU: --skip-quickstart leaves it out) on CUDA with --workers 0 (auto) and 12, printing each epoch's
#      seconds and data_frac from metrics.jsonl.
# Then paste gpu-check.txt into docs/performance.md ("CUDA").
#
# Usage: scripts/gpu-check.sh [--no-build] [--out DIR] [--tolerance 0.02] [--skip-quickstart] [--device cuda]
# --device cpu runs every step on the CPU instead (no GPU needed): a check of this script itself.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

build=1; out=""; tolerance=0.02; quickstart=1; device=cuda
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --tolerance) tolerance=${2:?--tolerance needs a number}; shift ;;
    --skip-quickstart) quickstart=0 ;;
    --device) device=${2:?--device needs cuda or cpu}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$(mktemp -d -t midistill-gpu-check-XXXXXX)}
mkdir -p "$out"
report="$out/gpu-check.txt"
: > "$report"
say() { echo "$*" | tee -a "$report"; }

backend=cpu
[ "$device" = cpu ] || backend=cuda
missing=0
if [ "$device" = cuda ] && { ! command -v nvidia-smi > /dev/null || ! nvidia-smi -L > /dev/null 2>&1; }; then
  echo "missing: an NVIDIA driver and GPU (nvidia-smi lists none)" >&2; missing=1
fi
if [ "$build" -eq 1 ] && ! command -v dotnet > /dev/null; then
  echo "missing: a .NET SDK 10 (dotnet); or build elsewhere and pass --no-build" >&2; missing=1
fi
if [ "$build" -eq 1 ] && [ "$device" = cuda ] && ! ls "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/libtorch-cuda-12.8-linux-x64/2.10.0 > /dev/null 2>&1; then
  echo "note: libtorch-cuda-12.8-linux-x64 2.10.0 is not in the NuGet cache; the build will try the configured NuGet sources" >&2
fi
[ "$missing" -eq 0 ] || exit 2

say "MiDistill GPU check, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ "$device" = cpu ] || say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
say "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"

if [ "$build" -eq 1 ]; then
  scripts/ensure-dataset.sh
  dotnet build MiDistill.sln -c Release -v quiet -nologo -p:MiDistillTorchBackend=$backend
fi
recipes=tests/MiDistill.TestRecipes/bin/Release/net10.0/MiDistill.TestRecipes.dll
[ -f "$recipes" ] || { echo "missing: $recipes (build first)" >&2; exit 2; }

# Runs a test recipe into its own output folder and cache; prints the run folder; times it.
run() { # name recipe device [extra args...]
  local name=$1 recipe=$2 device=$3; shift 3
  local start end
  start=$(date +%s.%N)
  dotnet "$recipes" run "$recipe" --device "$device" --threads 4 --output "$out/$name" --cache "$out/$name-cache" "$@" > "$out/$name.log" 2>&1
  end=$(date +%s.%N)
  say "$(printf '%-28s %-10s %6.1f s  %s' "$name" "$device" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(head -1 "$out/$name.log")")"
}
folder() { find "$out/$1" -mindepth 2 -maxdepth 2 -type d | head -1; }

# Compares two metrics.jsonl files: the same (stage, variant, seed, epoch) lines, every shared value
# within the tolerance (absolute for values in [0, 1] such as accuracies, else relative); times aside.
compare() { # a b what
  /usr/bin/env python3 - "$1" "$2" "$tolerance" "$3" << 'EOF' | tee -a "$report"
import json, sys
a, b, tol, what = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
skip = {"time", "elapsed_s", "epoch_s", "data_frac"}
def lines(path):
    out = {}
    for line in open(path):
        d = json.loads(line)
        out[(d["stage"], d["variant"], d.get("seed"), d.get("epoch"))] = {k: v for k, v in d.items() if isinstance(v, (int, float)) and k not in skip}
    return out
x, y = lines(a), lines(b)
worst, where = 0.0, None
for key in x.keys() & y.keys():
    for k in x[key].keys() & y[key].keys():
        u, v = x[key][k], y[key][k]
        d = abs(u - v) if max(abs(u), abs(v)) <= 1 else abs(u - v) / max(abs(u), abs(v))
        if d > worst: worst, where = d, f"{key} {k}: {u} vs {v}"
same_lines = x.keys() == y.keys()
ok = same_lines and worst <= tol
print(f"{what}: {'PASS' if ok else 'FAIL'} (same lines: {same_lines}; largest difference {worst:.3g}" + (f" at {where}" if where else "") + f"; tolerance {tol})")
EOF
}

say ""
say "Test recipes on $device (wall clock, build excluded):"
run tiny-gpu tiny "$device"
run resumable-gpu resumable "$device"
run killable-gpu killable "$device"
run tiny-cpu tiny cpu

say ""
say "Kill and resume on $device (killable, killed before its 2nd stage checkpoint is renamed):"
( MIDISTILL_TEST_KILL_BEFORE_RENAME=2:.ckpt dotnet "$recipes" run killable --device "$device" --threads 4 \
  --output "$out/killed" --cache "$out/killed-cache" > "$out/killed.log" 2>&1 ) 2> /dev/null || true
killed=$(folder killed)
dotnet "$recipes" resume "$killed" > "$out/resumed.log" 2>&1
say "$(grep -m1 'resuming' "$out/resumed.log" || echo 'no resume line (the kill may not have happened: see killed.log)')"
compare "$(folder killable-gpu)/metrics.jsonl" "$killed/metrics.jsonl" "resumed $device run against the uninterrupted $device run"
compare "$(folder tiny-cpu)/metrics.jsonl" "$(folder tiny-gpu)/metrics.jsonl" "tiny on $device against tiny on the CPU"

if [ "$quickstart" -eq 1 ]; then
  say ""
  say "Quickstart on $device (data workers: auto, then 12):"
  dotnet build recipes/MiDistill.Recipes.csproj -c Release -v quiet -nologo -p:MiDistillTorchBackend=$backend > /dev/null
  for workers in 0 12; do
    start=$(date +%s.%N)
    dotnet recipes/bin/Release/net10.0/midistill-recipes.dll run quickstart --device "$device" --workers "$workers" \
      --output "$out/quickstart-$workers" --cache "$out/quickstart-$workers-cache" > "$out/quickstart-$workers.log" 2>&1
    end=$(date +%s.%N)
    say "$(printf 'quickstart --workers %-3s %6.1f s  %s' "$workers" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(head -1 "$out/quickstart-$workers.log")")"
    /usr/bin/env python3 - "$(folder "quickstart-$workers")/metrics.jsonl" << 'EOF' | tee -a "$report"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "epoch_s" in d:
        print(f"  {d['stage']:9} {d['variant']:12} epoch {d['epoch']}: {d['epoch_s']:.1f} s, data_frac {d.get('data_frac', float('nan')):.2f}")
EOF
  done
fi
say ""
say "Written to $report"
