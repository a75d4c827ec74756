#!/usr/bin/env bash
# What the editor tests meet for real: Debian's neovim (its built-in LSP client drives midistill-lsp
# headless) and the VS Code extension's npm packages (vscode-textmate and vscode-oniguruma tokenise
# the grammar, @vscode/vsce builds the .vsix), installed from the committed package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvim >/dev/null 2>&1; then
  echo "nvim not found; installing Debian's neovim..."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq neovim >/dev/null
fi
# npm ci only when the lock changed since the last install (it deletes and rewrites node_modules).
extension=editors/vscode
if [ ! -f "$extension/node_modules/.package-lock.json" ] || [ "$extension/package-lock.json" -nt "$extension/node_modules/.package-lock.json" ]; then
  (cd "$extension" && npm ci --no-audit --no-fund --loglevel=error)
fi
