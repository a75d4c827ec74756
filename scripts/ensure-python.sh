#!/usr/bin/env bash
# Installs Debian's python3 when /usr/bin/python3 is missing: a test reads MiDistill's model files
# with Python's standard library (tests/MiDistill.Runtime.Tests/Checkpoints/read_safetensors.py).
# Also python3-onnx: the ONNX project's own checker validates every exported model
# (tests/MiDistill.Runtime.Tests/Export).
set -euo pipefail
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import onnx" 2>/dev/null; then
  exit 0
fi
echo "/usr/bin/python3 or its onnx module not found; installing the Debian packages python3 and python3-onnx..."
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-onnx
