#!/usr/bin/env bash
# Stops the one-node Slurm that scripts/slurm-up.sh started in DIR (by its pid files), and munged
# when that script started it. Safe to run twice.
set -uo pipefail
dir=${1:?usage: slurm-down.sh DIR}
if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then exec sudo -n bash "$0" "$@"; fi
stop() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}
stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
if [ -f "$dir/munged.started" ]; then
  stop /run/munge/munged.pid
  rm -f "$dir/munged.started"
fi
exit 0
