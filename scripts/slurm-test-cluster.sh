#!/usr/bin/env bash
# A real single-node Slurm (munge + slurmctld + slurmd) in one folder, for the
# Slurm backend's tests. Follows SLURM-RECIPE.md of the team's shared folder.
#
#   scripts/slurm-test-cluster.sh start DIR   # idempotent; prints SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-test-cluster.sh stop DIR    # cancels jobs, stops the daemons by their PID files
#
# The node counts two GPUs (gres gpu:2, no devices) so jobs may ask for them.
#
# SLURM_TEST_NODES=N (N > 1) starts N slurmd on this one host instead (Slurm's multiple-slurmd
# mode: NodeName=mli1..mliN, one Port each, `slurmd -N mliK`), so multi-node jobs really get N
# nodes, N job steps and SLURM_NODEID 0..N-1. Needs a Slurm built with --enable-multiple-slurmd
# (Debian's slurm-wlm 22.05 is: `scontrol show config` says MULTIPLE_SLURMD = Yes).
# Installs nothing: needs root and the Debian packages slurm-wlm and munge
# (apt-get install -y slurm-wlm munge).
set -euo pipefail

cmd=${1:-}
DIR=${2:-}
if [ -z "$cmd" ] || [ -z "$DIR" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
DIR=$(realpath -m "$DIR")

need() {
  local missing=()
  for b in slurmctld slurmd munged mungekey sinfo sbatch squeue scontrol scancel runuser; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-test-cluster: missing ${missing[*]}. Install them with: apt-get install -y slurm-wlm munge" >&2
    exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "slurm-test-cluster: must run as root (slurmd and munged run as root/munge). Run the tests as root on a machine with: apt-get install -y slurm-wlm munge" >&2
    exit 4
  fi
  id munge >/dev/null 2>&1 || { echo "slurm-test-cluster: no 'munge' user. Install: apt-get install -y slurm-wlm munge" >&2; exit 3; }
}
PATH="$PATH:/usr/sbin:/sbin"

# Alive and not a zombie (a killed daemon can linger as one here).
alive() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  local state
  state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}
pid_of() { [ -s "$1" ] && cat "$1" || true; }

# One NodeName line per node; several slurmd on this host each listen on their own port.
node_lines() {
  local c=$((cpus < 4 ? 4 : cpus)) i=0 n
  if [ "$nodes" -eq 1 ]; then
    echo "NodeName=$node CPUs=$c Boards=1 SocketsPerBoard=1 CoresPerSocket=$c ThreadsPerCore=1 RealMemory=$mem Gres=gpu:2 NodeAddr=127.0.0.1 State=UNKNOWN"
    return
  fi
  for n in "${names[@]}"; do
    i=$((i + 1))
    echo "NodeName=$n NodeHostname=$node NodeAddr=127.0.0.1 Port=$((${SLURM_TEST_SLURMD_PORT:-6818} + i)) CPUs=$c Boards=1 SocketsPerBoard=1 CoresPerSocket=$c ThreadsPerCore=1 RealMemory=$((mem / nodes)) Gres=gpu:2 State=UNKNOWN"
  done
}

start() {
  need
  mkdir -p "$DIR"/{munge,state,spool,run,log}
  # munged insists that every parent of its socket is reachable.
  chmod 755 "$DIR"
  local p=$DIR
  while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  chown munge:munge "$DIR/munge"
  chmod 755 "$DIR/munge"
  local node nodes node_suffix
  node=$(hostname -s)
  nodes=${SLURM_TEST_NODES:-1}
  [[ "$nodes" =~ ^[1-9][0-9]?$ ]] || { echo "slurm-test-cluster: SLURM_TEST_NODES must be a number from 1 to 99, not '$nodes'" >&2; exit 2; }
  node_suffix=
  names=("$node")
  if [ "$nodes" -gt 1 ]; then
    # %n: slurmd expands it to its own node name, so each one keeps its own spool, PID and log file.
    node_suffix=-%n
    names=()
    for i in $(seq 1 "$nodes"); do names+=("mli$i"); done
  fi

  if ! alive "$(pid_of "$DIR/munge/munged.pid")"; then
    [ -s "$DIR/munge/munge.key" ] || { mungekey --create --keyfile "$DIR/munge/munge.key" --force >/dev/null 2>&1 || mungekey -c -k "$DIR/munge/munge.key"; }
    chown munge:munge "$DIR/munge/munge.key"
    chmod 600 "$DIR/munge/munge.key"
    rm -f "$DIR/munge/munge.socket" "$DIR/munge/munge.socket.lock"
    runuser -u munge -- munged --socket "$DIR/munge/munge.socket" --key-file "$DIR/munge/munge.key" \
      --pid-file "$DIR/munge/munged.pid" --log-file "$DIR/munge/munged.log" --seed-file "$DIR/munge/munged.seed" --force
  fi

  if [ ! -s "$DIR/slurm.conf" ]; then
    local cpus mem
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {printf "%d", $2/1024*0.9}' /proc/meminfo)
    cat > "$DIR/slurm.conf" <<CONF
ClusterName=mlintern-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURM_TEST_CTLD_PORT:-6817}
SlurmdPort=${SLURM_TEST_SLURMD_PORT:-6818}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool$node_suffix
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd$node_suffix.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd$node_suffix.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
KillWait=5
MailProg=/bin/true
MinJobAge=3600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SlurmdParameters=config_overrides
GresTypes=gpu
$(node_lines)
PartitionName=debug Nodes=$(IFS=,; echo "${names[*]}") Default=YES MaxTime=INFINITE State=UP
CONF
    echo "# cgroups are not used (proctrack/linuxproc, task/none)" > "$DIR/cgroup.conf"
    # Two GPUs per node that are only counted (no device files): jobs may ask for --gres=gpu:N as on
    # a GPU cluster; what a job sees of its GPUs is up to the test (a fake nvidia-smi on its PATH).
    { echo "AutoDetect=off"; for n in "${names[@]}"; do echo "NodeName=$n Name=gpu File=/dev/null"; echo "NodeName=$n Name=gpu File=/dev/zero"; done; } > "$DIR/gres.conf"
  fi
  export SLURM_CONF=$DIR/slurm.conf

  alive "$(pid_of "$DIR/run/slurmctld.pid")" || slurmctld -f "$DIR/slurm.conf"
  if [ "$nodes" -gt 1 ]; then
    local config=
    # The controller answers a moment after it starts.
    for _ in $(seq 1 100); do config=$(scontrol show config 2>/dev/null) && break; sleep 0.1; done
    if ! grep -Eq '^MULTIPLE_SLURMD +=.*Yes' <<<"$config"; then
      echo "slurm-test-cluster: SLURM_TEST_NODES=$nodes needs a Slurm built with --enable-multiple-slurmd (scontrol show config has no MULTIPLE_SLURMD = Yes)" >&2
      exit 7
    fi
    for n in "${names[@]}"; do
      mkdir -p "$DIR/spool/$n"
      alive "$(pid_of "$DIR/run/slurmd-$n.pid")" || slurmd -f "$DIR/slurm.conf" -N "$n"
    done
  else
    alive "$(pid_of "$DIR/run/slurmd.pid")" || slurmd -f "$DIR/slurm.conf"
  fi

  # Ready when every node is idle (or mixed/allocated from an earlier start).
  for _ in $(seq 1 300); do
    if [ "$(sinfo -h -N -o '%t' 2>/dev/null | grep -Ec '^(idle|mix|alloc)')" -ge "$nodes" ]; then
      echo "SLURM_CONF=$DIR/slurm.conf"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-test-cluster: the node did not become idle within 30 s; see $DIR/log/slurmctld.log and $DIR/log/slurmd.log" >&2
  sinfo >&2 || true
  exit 5
}

stop() {
  PATH="$PATH:/usr/sbin"
  export SLURM_CONF=$DIR/slurm.conf
  # Jobs outlive slurmd: cancel them first.
  if [ -s "$DIR/slurm.conf" ] && alive "$(pid_of "$DIR/run/slurmctld.pid")"; then
    scancel --full --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  local f pid
  # The slurmd of every node (run/slurmd-<node>.pid in the multi-node mode) before the controller.
  for f in "$DIR"/run/slurmd*.pid "$DIR/run/slurmctld.pid" "$DIR/munge/munged.pid"; do
    [ -e "$f" ] || continue
    pid=$(pid_of "$f")
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.05; done
    fi
    if alive "$pid"; then echo "slurm-test-cluster: pid $pid ($f) would not stop" >&2; exit 6; fi
    rm -f "$f"
  done
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
