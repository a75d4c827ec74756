#!/usr/bin/env bash
# Installs Debian's python3 when /usr/bin/python3 is missing: a test reads MiDistill's model files
# with Python's standard library (tests/MiDistill.Runtime.Tests/Checkpoints/read_safetensors.py).
set -euo pipefail
if [ -x /usr/bin/python3 ]; then
  exit 0
fi
echo "/usr/bin/python3 not found; installing the Debian package python3..."
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3
