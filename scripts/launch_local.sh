#!/usr/bin/env bash
# Starts N copies of a command on this machine with the variables torchrun would set
# (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), for users
# without torchrun:
#
#   scripts/launch_local.sh 2 -- build/src/cli/clipforge train --name run1 ...
#
# Rank r's output is prefixed "[r] ". When one rank fails, the others are stopped and the
# launcher exits with the failing rank's status. MASTER_PORT defaults to 29500.
set -uo pipefail

if [ $# -lt 3 ] || [ "$2" != "--" ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N -- COMMAND [ARGS...]" >&2
  exit 2
fi
n=$1
shift 2

export WORLD_SIZE=$n LOCAL_WORLD_SIZE=$n
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1} MASTER_PORT=${MASTER_PORT:-29500}

pids=()
for ((r = 0; r < n; r++)); do
  # Process substitution keeps $! the command's own pid (not the prefixing sed's).
  RANK=$r LOCAL_RANK=$r "$@" > >(sed -u "s/^/[$r] /") 2> >(sed -u "s/^/[$r] /" >&2) &
  pids+=($!)
done

stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
}
trap 'stop_all; exit 130' INT TERM

status=0
running=("${pids[@]}")
while [ ${#running[@]} -gt 0 ]; do
  still=()
  for p in "${running[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      still+=("$p")
      continue
    fi
    wait "$p"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
      status=$rc
      echo "launch_local: a rank exited with status $rc; stopping the others" >&2
      stop_all
    fi
  done
  running=("${still[@]}")
  [ ${#running[@]} -gt 0 ] && sleep 0.2
done
wait
exit "$status"
