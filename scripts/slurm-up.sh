#!/usr/bin/env bash
# Starts a one-node Slurm on this machine for tests and trials: munged (unless one already answers),
# slurmctld and slurmd, with every state, spool, pid and log file in DIR.
#
#   scripts/slurm-up.sh DIR [CTLD_PORT [SLURMD_PORT]]      (defaults 6817 6818)
#   export SLURM_CONF=DIR/slurm.conf                      then sbatch, squeue, sinfo use it
#   scripts/slurm-down.sh DIR                             stops what this script started
#
# Needs Debian's slurm-wlm and munge (`apt-get install -y slurm-wlm munge`, which .ci/run does) and
# root, or password-less sudo (slurmd starts jobs; munged's socket lives in /run/munge). No cgroups: processes are tracked
# by proctrack/linuxproc, so it works in containers. On failure it prints the daemons' logs and exits 1.
set -uo pipefail
dir=${1:?usage: slurm-up.sh DIR [CTLD_PORT [SLURMD_PORT]]}
ctld_port=${2:-6817}
slurmd_port=${3:-6818}
mkdir -p "$dir/state" "$dir/spool"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"

munge_log=""   # munged's own log, shown only when this script had to start munged
fail() {
  echo "slurm-up: $*" >&2
  for log in "$dir/munged.err" $munge_log "$dir/slurmctld.log" "$dir/slurmd.log"; do
    [ -s "$log" ] && { echo "---- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

for tool in munged munge unmunge slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || fail "\`$tool\` is not installed; run: apt-get install -y slurm-wlm munge"
done
if [ "$(id -u)" -ne 0 ]; then
  # The daemons run as root; a user with password-less sudo (CI runners) gets them through it.
  sudo -n true 2>/dev/null && exec sudo -n bash "$0" "$@"
  fail "must run as root, or as a user with password-less sudo (slurmd launches the jobs; munged's socket is in /run/munge)"
fi

# munge: authentication between the daemons and the clients. One per machine; reuse a running one.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  munge_log=/var/log/munge/munged.log
  [ -f /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1 || fail "cannot create /etc/munge/munge.key"
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  su -s /bin/sh munge -c /usr/sbin/munged 2>>"$dir/munged.err" || fail "munged did not start"
  touch "$dir/munged.started"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null 2>&1 || fail "munged started but does not answer"
fi

cpus=$(nproc)
# Slurm drains a node that reports less memory than configured: declare 90% of what there is.
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
cat > "$conf" <<CONF
ClusterName=midistill
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# Another cluster on these ports would answer sinfo in place of ours.
for port in "$ctld_port" "$slurmd_port"; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && fail "port $port is in use (another Slurm?); give free ports: slurm-up.sh DIR CTLD_PORT SLURMD_PORT"
done

export SLURM_CONF="$conf"
/usr/sbin/slurmctld -f "$conf" || fail "slurmctld did not start"
/usr/sbin/slurmd -f "$conf" -N localhost || fail "slurmd did not start"
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
for i in $(seq 100); do
  # The daemons fork before they bind their ports: one that fails later is gone from its pid file.
  if [ "$i" -gt 5 ]; then
    alive "$dir/slurmctld.pid" || fail "slurmctld exited after starting"
    alive "$dir/slurmd.pid" || fail "slurmd exited after starting"
  fi
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)
  if [ "$state" = "idle" ] && alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid"; then
    echo "slurm-up: one-node Slurm ready ($cpus CPUs); export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 0.2
done
fail "the node did not become idle within 20 s (sinfo says \`${state:-nothing}\`)"
