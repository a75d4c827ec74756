#!/usr/bin/env bash
# The regression record: what today's code computes, committed, so that a later build that computes
# anything different fails (tests/MiDistill.Runtime.Tests/Regression/RegressionRecordTests.cs
# compares fresh runs with it bit for bit; docs/testing.md).
#
# Records (default): builds the test recipes' executable (Release) and runs every recorded test
# recipe as its own process, one at a time, each with a fresh output folder and teacher cache:
#   dotnet tests/MiDistill.TestRecipes/bin/Release/net10.0/MiDistill.TestRecipes.dll \
#     run <recipe> --threads 1 --workers 1 [--data <image folder>] --output <tmp> --cache <tmp>
# and writes into tests/MiDistill.Runtime.Tests/Regression/Records/<recipe>/:
#   metrics.jsonl        every line, without the wall-clock fields time, elapsed_s, epoch_s, data_frac
#   results.csv          without the time columns `pretrain (s)` and `train (s)`
#   results-paired.csv   as written (when the run wrote one)
#   analysis/*.csv       as written (recipes with an `analyze` section)
#   cpu.txt              the recording machine: CPU model and vendor, whether it has avx512f / avx2, the pinning
# The folder recipes read the committed image folders of tests/MiDistill.Runtime.Tests/Regression/Data/
# (made by tools/regression/make-image-folders.cs with the end-to-end tests' generators).
#
# Every run pins LibTorch's CPU code paths, so that AVX2 and AVX-512 machines compute the same bits
# where the libraries allow it (docs/testing.md says what each variable does and what was checked):
#   ATEN_CPU_CAPABILITY=avx2  DNNL_MAX_CPU_ISA=AVX2  MKL_CBWR=COMPATIBLE  MKL_ENABLE_INSTRUCTIONS=AVX2
#
# Usage (from anywhere; paths are the repository's):
#   scripts/regression-record.sh                    record every test recipe below (about 1.5 min on 1 thread)
#   scripts/regression-record.sh --only tiny,own    record only these recipes
#   scripts/regression-record.sh --quickstart       record recipes/quickstart.distill instead (Records/quickstart/;
#                                                   15-25 min on 1 thread; not part of CI)
#   scripts/regression-record.sh --check [...]      run again into a temporary folder and compare with the
#                                                   committed record (diff); exit 1 on any difference
#   --keep                                          keep the temporary run folders (their path is printed)
# Re-record only after a change that is meant to change the numbers, and say so in the commit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Every test recipe the test suite runs end to end, in the order they are recorded. Not here:
# `defaults` (the suite only compares its compiled settings; a run would pretrain for minutes).
RECIPES=(tiny killable resumable learns analyze_tiny baseline own paper tiny_sweep folder folder_rgb folder_teacher_size)
records=tests/MiDistill.Runtime.Tests/Regression/Records
data=tests/MiDistill.Runtime.Tests/Regression/Data

# The same values as RegressionRecordTests.Pinning.
export ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2 MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2
PINNING="ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2 MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2"

check=0; quickstart=0; keep=0; only=""
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1 ;;
    --quickstart) quickstart=1 ;;
    --keep) keep=1 ;;
    --only) only=${2:?--only needs a comma-separated list of recipes}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quickstart" -eq 1 ]; then
  [ -z "$only" ] || { echo "--only and --quickstart do not go together" >&2; exit 2; }
  chosen=(quickstart)
  project=recipes/MiDistill.Recipes.csproj
  dll=recipes/bin/Release/net10.0/midistill-recipes.dll
else
  if [ -n "$only" ]; then
    IFS=, read -r -a chosen <<<"$only"
    for r in "${chosen[@]}"; do
      [[ " ${RECIPES[*]} " == *" $r "* ]] || { echo "\`$r\` is not a recorded recipe; they are: ${RECIPES[*]}" >&2; exit 2; }
    done
  else
    chosen=("${RECIPES[@]}")
  fi
  project=tests/MiDistill.TestRecipes/MiDistill.TestRecipes.csproj
  dll=tests/MiDistill.TestRecipes/bin/Release/net10.0/MiDistill.TestRecipes.dll
fi

scripts/ensure-dataset.sh
echo "building $project (Release)..."
dotnet build "$project" -c Release -nologo -v quiet >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/midistill-regression-XXXXXX")
if [ "$keep" -eq 1 ]; then echo "run folders kept in $work"; else trap 'rm -rf "$work"' EXIT; fi

cpu_txt() {
  local flags; flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
  echo "model name: $(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')"
  echo "vendor: $(grep -m1 '^vendor_id' /proc/cpuinfo | sed 's/^[^:]*: *//')"
  if [[ " $flags " == *" avx512f "* ]]; then echo "avx512f: yes"; else echo "avx512f: no"; fi
  if [[ " $flags " == *" avx2 "* ]]; then echo "avx2: yes"; else echo "avx2: no"; fi
  echo "pinning: $PINNING"
}

# metrics.jsonl without its wall-clock fields. Lines are flat JSON objects written by MetricsWriter
# (a string or a number per field, never a nested value); the other fields keep their exact text.
strip_metrics() {
  sed -E 's/,"(time|elapsed_s|epoch_s|data_frac)":("[^"]*"|[^,}]*)//g' "$1"
}

# results.csv without the columns named `pretrain (s)` and `train (s)` (no field holds a comma).
strip_results() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "pretrain (s)" || $i == "train (s)") drop[i] = 1 }
           { line = ""; sep = ""; for (i = 1; i <= NF; i++) if (!(i in drop)) { line = line sep $i; sep = "," } print line }' "$1"
}

failed=0
for recipe in "${chosen[@]}"; do
  args=(run "$recipe" --threads 1 --workers 1)
  case $recipe in folder*) args+=(--data "$repo/$data/$recipe") ;; esac
  runs="$work/$recipe/runs"
  args+=(--output "$runs" --cache "$work/$recipe/cache")
  start=$(date +%s)
  if ! dotnet "$dll" "${args[@]}" >"$work/$recipe.log" 2>&1; then
    echo "$recipe: the run failed; its output:" >&2
    tail -n 30 "$work/$recipe.log" >&2
    exit 1
  fi
  folder=$(ls -d "$runs"/*/*)
  if [ "$check" -eq 1 ]; then target="$work/$recipe/record"; else target="$records/$recipe"; fi
  rm -rf "$target"
  mkdir -p "$target"
  strip_metrics "$folder/metrics.jsonl" >"$target/metrics.jsonl"
  strip_results "$folder/results.csv" >"$target/results.csv"
  if [ -f "$folder/results-paired.csv" ]; then cp "$folder/results-paired.csv" "$target/"; fi
  if compgen -G "$folder/analysis/*.csv" >/dev/null; then mkdir -p "$target/analysis"; cp "$folder"/analysis/*.csv "$target/analysis/"; fi
  cpu_txt >"$target/cpu.txt"
  seconds=$(( $(date +%s) - start ))
  if [ "$check" -eq 0 ]; then
    echo "$recipe: recorded in $target ($seconds s)"
  elif [ ! -d "$records/$recipe" ]; then
    echo "$recipe: no record in $records/$recipe to compare with" >&2; failed=1
  else
    # cpu.txt says where each was made; only a different CPU kind can explain a difference.
    if diff -r -x cpu.txt "$records/$recipe" "$target" >"$work/$recipe.diff"; then
      echo "$recipe: same as the record ($seconds s)"
    else
      echo "$recipe: DIFFERS from the record ($seconds s); recorded on [$(tr '\n' ' ' <"$records/$recipe/cpu.txt")], run on [$(cpu_txt | tr '\n' ' ')]:"
      head -n 20 "$work/$recipe.diff"
      failed=1
    fi
  fi
done
if [ "$check" -eq 1 ]; then
  if [ "$failed" -eq 0 ]; then echo "every checked run equals the record"; else echo "some runs differ from the record"; fi
fi
exit "$failed"
