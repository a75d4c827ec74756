#!/usr/bin/env bash
# Installs Debian's chromium (headless, for the report's browser test) and util-linux's `script`
# (the pseudo-terminal of the progress test) when they are missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v script >/dev/null 2>&1; then
  exit 0
fi
echo "chromium or script not found; installing the Debian packages chromium, fonts-dejavu-core, util-linux..."
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core util-linux
