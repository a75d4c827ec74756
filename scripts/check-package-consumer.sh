#!/usr/bin/env bash
# What a user outside this repository does, with the packages `dotnet pack` makes:
# install the template, create a project, build it, list and run its starter recipe, break a
# recipe and see the located error, add a student of their own; install the language server
# `midistill-lsp` as a .NET tool and get the same error from it over stdio, format-check the
# project's recipes with it; then `dotnet add package
# MiDistill` in a plain console project with recipes in subfolders, one excluded with
# <Distill Remove>, and EnableDefaultDistillItems=false. Exits non-zero at the first failed check.
# Isolated: a temporary folder, a fresh NuGet packages folder (the machine's cache only as a
# read-only fallback, so no MiDistill package of an earlier build can be picked up), and a
# private template hive.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/midistill-consumer-XXXXXX")
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
quiet=(-nologo -v quiet -nodeReuse:false)
check() { echo "check: $*"; }
fail() { echo "FAILED: $*"; exit 1; }

feed=$work/feed
dotnet pack "$repo/src/Runtime/MiDistill.Runtime.csproj" -c Release -o "$feed" "${quiet[@]}"
dotnet pack "$repo/templates/MiDistill.Templates/MiDistill.Templates.csproj" -c Release -o "$feed" "${quiet[@]}"
dotnet pack "$repo/src/LanguageServer/MiDistill.LanguageServer.csproj" -c Release -o "$feed" "${quiet[@]}"
ls "$feed"

export NUGET_PACKAGES=$work/packages
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="midistill-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine-cache" value="$HOME/.nuget/packages" />
  </fallbackPackageFolders>
</configuration>
XML
[ -d "$HOME/.nuget/packages/midistill" ] && fail "the machine's NuGet cache holds a MiDistill package; remove ~/.nuget/packages/midistill first"

hive=$work/hive
cd "$work"
dotnet new install MiDistill.Templates --add-source "$feed" --debug:custom-hive "$hive" >/dev/null
dotnet new midistill -n MyExperiments --debug:custom-hive "$hive"
cd MyExperiments
check "the template wrote a project, Program.cs, a starter recipe, .gitignore and README"
for f in MyExperiments.csproj Program.cs starter.distill .gitignore README.md; do [ -f "$f" ] || fail "template did not write $f"; done

dotnet build "${quiet[@]}" || fail "the new project does not build"
check "dotnet run -- list"
dotnet run --no-build -- list | tee "$work/list.txt"
grep -q '^starter ' "$work/list.txt" || fail "list does not show the starter recipe"
check "dotnet run -- run --help (the command-line library comes with the package)"
dotnet run --no-build -- run --help > "$work/help.txt" || { cat "$work/help.txt"; fail "run --help failed"; }
grep -q -- '--threads <n>' "$work/help.txt" && grep -q '^Exit codes:' "$work/help.txt" || { cat "$work/help.txt"; fail "run --help does not list --threads and the exit codes"; }
code=0; dotnet run --no-build -- run starter --thread 1 > /dev/null 2> "$work/typo.txt" || code=$?
[ "$code" -eq 2 ] && grep -q -- '--threads' "$work/typo.txt" || { cat "$work/typo.txt"; fail "a misspelt option did not exit 2 with a suggestion (exit $code)"; }
check "dotnet run -- run starter --threads 1"
dotnet run --no-build -- run starter --threads 1 > "$work/run.txt" || { cat "$work/run.txt"; fail "the starter recipe failed"; }
grep -v 'epoch [0-9]' "$work/run.txt"
grep -q '^| sam ' "$work/run.txt" || fail "the starter run printed no result table"

check "a mistake in the recipe fails the build at its position"
cp starter.distill "$work/starter.good"
sed -i 's/epochs 5$/epochs 0/' starter.distill
if dotnet build "${quiet[@]}" -p:ErrorLog="$work/bad.sarif" > "$work/bad.txt" 2>&1; then cat "$work/bad.txt"; fail "a broken recipe built"; fi
grep -E 'starter\.distill\([0-9]+,[0-9]+\): error MD0106: `finetune\.epochs` = 0 is out of range; expected 1\.\.100000' "$work/bad.txt" \
  || { cat "$work/bad.txt"; fail "no located MD0106 for the broken recipe"; }
check "its help link opens the package's docs/language.md at #md0106"
help=$(grep -oE '"helpUri": *"file://[^"#]*#md0106"' "$work/bad.sarif" | head -n 1 | sed -E 's/.*"file:\/\/([^"#]*)#md0106"/\1/')
case "$help" in
  "$NUGET_PACKAGES"/midistill/*/docs/language.md) ;;
  *) fail "MD0106's help link is not the package's docs/language.md: '${help}'" ;;
esac
[ -f "$help" ] || fail "MD0106's help link names a file that does not exist: $help"
grep -q '<a id="md0106"></a>MD0106 |' "$help" || fail "the package's docs/language.md has no anchor md0106"
cp "$work/starter.good" starter.distill

check "a student written in the project is used and checked"
cat > MyStudent.cs <<'CS'
using MiDistill.Runtime.Options;
using static TorchSharp.torch;

[RecipeForm("linear_probe", "Global average pooling and one linear layer.")]
public sealed record LinearProbeOptions([RecipeArg(Doc = "unused width, to test ranges", Min = 1, Max = 64)] int Width = 8) : StudentOptions
{
    public override nn.Module<Tensor, Tensor> Create(int inChannels, int numClasses) =>
        nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(inChannels, numClasses));
}
CS
sed -i 's/student cnn_small(width: 8) /student linear_probe(width: 4)/' starter.distill
grep -q 'linear_probe(width: 4)' starter.distill || fail "could not edit the starter recipe"
dotnet build "${quiet[@]}" || fail "the project with its own student does not build"
grep -q 'LinearProbeOptions(Width: 4)' obj/generated/*/*/StarterRecipe.g.cs || fail "the generated recipe does not use the project's student"
sed -i 's/linear_probe(width: 4)/linear_probe(width: 99)/' starter.distill
if dotnet build "${quiet[@]}" > "$work/bad2.txt" 2>&1; then fail "an out-of-range argument of the project's student built"; fi
grep -E 'starter\.distill\([0-9]+,[0-9]+\): error MD0106: `distill\.student\.width` = 99 is out of range; expected 1\.\.64' "$work/bad2.txt" \
  || { cat "$work/bad2.txt"; fail "no located MD0106 for the project's student"; }

check "the language server installs as a .NET tool from the feed and reports that error too"
tools=$work/tools
dotnet tool install MiDistill.LanguageServer --tool-path "$tools" --add-source "$feed" \
  --version "$(ls "$feed" | sed -n 's/^MiDistill\.LanguageServer\.\([0-9][0-9.]*\)\.nupkg$/\1/p')" >/dev/null \
  || fail "dotnet tool install MiDistill.LanguageServer failed"
[ -x "$tools/midistill-lsp" ] || fail "the tool package did not install the command midistill-lsp"
# A short LSP session over stdio: initialize, open the broken recipe, wait for its diagnostics, exit.
lsp_send() { printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1" >&"${LSP[1]}"; }
lsp_read() { # one message's body into $body; false after 60 s without one
  local line length=0
  while IFS= read -r -t 60 line <&"${LSP[0]}"; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case "$line" in Content-Length:*) length=${line#Content-Length: } ;; esac
  done
  [ "$length" -gt 0 ] && IFS= read -r -d '' -N "$length" -t 60 body <&"${LSP[0]}"
}
json_string() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$1" | awk '{ printf "%s\\n", $0 }'; }
root=$(pwd); uri="file://$root/starter.distill"
export LC_ALL=C
coproc LSP { exec "$tools/midistill-lsp" 2> "$work/lsp.err"; }
lsp_send '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":"file://'"$root"'","capabilities":{}}}'
lsp_send '{"jsonrpc":"2.0","method":"initialized","params":{}}'
lsp_send '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"'"$uri"'","languageId":"distill","version":1,"text":"'"$(json_string starter.distill)"'"}}}'
diagnostics=""
while lsp_read; do
  case "$body" in *'"textDocument/publishDiagnostics"'*"$uri"*) diagnostics=$body; break ;; esac
done
lsp_send '{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}'
lsp_send '{"jsonrpc":"2.0","method":"exit","params":null}'
wait "$LSP_PID" 2>/dev/null || true
unset LC_ALL
echo "$diagnostics"
[ -n "$diagnostics" ] || { cat "$work/lsp.err"; fail "the installed midistill-lsp published no diagnostics for starter.distill"; }
# (JSON may write the backticks around the path as \u0060.)
grep -q '"code":"MD0106"' <<<"$diagnostics" && grep -qE 'distill\.student\.width(`|\\u0060) = 99 is out of range; expected 1\.\.64' <<<"$diagnostics" \
  || fail "the installed midistill-lsp did not report the build's MD0106 for the project's student"
# At the build's position: file(line,col) is 1-based, LSP positions 0-based.
IFS=, read -r line col < <(grep -oE 'starter\.distill\([0-9]+,[0-9]+\): error MD0106' "$work/bad2.txt" | head -n 1 | sed -E 's/.*\(([0-9]+),([0-9]+)\).*/\1,\2/')
grep -qF '"start":{"line":'$((line - 1))',"character":'$((col - 1))'}' <<<"$diagnostics" \
  || fail "the installed midistill-lsp reported MD0106 elsewhere than the build's starter.distill($line,$col)"
sed -i 's/linear_probe(width: 99)/linear_probe(width: 4)/' starter.distill
check "midistill-lsp format --check on the project's recipe"
"$tools/midistill-lsp" format --check starter.distill | tee "$work/format.txt" || fail "midistill-lsp format --check found an unformatted recipe"
grep -q '^1 of 1 recipes formatted$' "$work/format.txt" || fail "midistill-lsp format --check did not check starter.distill"

check "dotnet add package MiDistill in an existing console project"
cd "$work"
dotnet new console -n Plain --debug:custom-hive "$hive" >/dev/null
cd Plain
dotnet add package MiDistill --version "$(ls "$feed" | sed -n 's/^MiDistill\.\([0-9][0-9.]*\)\.nupkg$/\1/p')" >/dev/null
echo 'return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);' > Program.cs
mkdir -p recipes/nested
recipe() { printf 'recipe %s {\n  teacher { pretrain upstream(classes: 0..4) }\n  data { classes 5..9 }\n}\n' "$1"; }
recipe alpha > alpha.distill
recipe beta > recipes/nested/beta.distill
printf 'recipe broken {\n  finetun { }\n}\n' > recipes/broken.distill
sed -i 's#</Project>#  <ItemGroup>\n    <Distill Remove="recipes/broken.distill" />\n  </ItemGroup>\n</Project>#' Plain.csproj
dotnet build "${quiet[@]}" || fail "a console project with MiDistill and an excluded broken recipe does not build"
dotnet run --no-build -- list > "$work/plain.txt"
cat "$work/plain.txt"
grep -q '^alpha ' "$work/plain.txt" && grep -q '^beta ' "$work/plain.txt" || fail "recipes in the project folder and a subfolder are not both listed"
grep -q '^broken ' "$work/plain.txt" && fail "the removed recipe was compiled"

check "EnableDefaultDistillItems=false compiles only the listed recipes"
sed -i 's#<Distill Remove="recipes/broken.distill" />#<Distill Include="recipes/nested/beta.distill" />#' Plain.csproj
sed -i 's#<OutputType>Exe</OutputType>#<OutputType>Exe</OutputType>\n    <EnableDefaultDistillItems>false</EnableDefaultDistillItems>#' Plain.csproj
dotnet build "${quiet[@]}" || fail "the project with EnableDefaultDistillItems=false does not build"
dotnet run --no-build -- list > "$work/plain2.txt"
cat "$work/plain2.txt"
grep -q '^beta ' "$work/plain2.txt" || fail "the explicitly included recipe is missing"
grep -q '^alpha ' "$work/plain2.txt" && fail "a recipe outside the explicit items was compiled"

echo "package consumer checks passed"
