#!/usr/bin/env bash
# Checks that C# files follow .editorconfig's whitespace rules (dotnet format whitespace in folder
# mode: no restore or build needed, about 20 s here). Files in scripts/format-exclude.txt are
# left out. Exits non-zero, naming the files, when one differs; fix with
#   dotnet format whitespace --folder --include <file>...
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t excluded < <(grep -vE '^[[:space:]]*(#|$)' scripts/format-exclude.txt)
for f in "${excluded[@]}"; do
  [ -f "$f" ] || echo "format: scripts/format-exclude.txt lists $f, which does not exist; remove it from the list"
done
# Approved snapshots are the generator's exact output and are never reformatted.
if dotnet format whitespace --folder --verify-no-changes -v q \
    --exclude '**/bin/**' '**/obj/**' '**/*.verified.cs' '**/*.received.cs' "${excluded[@]}"; then
  echo "format: C# whitespace follows .editorconfig"
else
  echo "format: the files above differ from .editorconfig; fix with: dotnet format whitespace --folder --include <file>..."
  exit 1
fi
