#!/usr/bin/env bash
# Installs Debian's slurm-wlm and munge when they are missing: the sweep test
# (tests/MiDistill.Runtime.Tests/Sweeps) starts a one-node Slurm with scripts/slurm-up.sh and submits to it.
set -euo pipefail
if [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/munged ] && command -v sbatch >/dev/null; then
  exit 0
fi
echo "Slurm not found; installing the Debian packages slurm-wlm and munge..."
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm munge
