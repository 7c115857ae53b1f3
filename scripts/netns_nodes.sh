#!/usr/bin/env bash
# Two "nodes" on one machine for multi-node runs without a cluster: two network namespaces
# joined by a veth pair, each with its own address (root and iproute2 needed).
#
#   scripts/netns_nodes.sh up NAME     NAME0 holds interface NAMEv0 = 10.77.0.1, NAME1 holds NAMEv1 = 10.77.0.2
#   scripts/netns_nodes.sh cut NAME    takes NAMEv1 down: node 1 disappears from the network
#   scripts/netns_nodes.sh down NAME   kills what still runs in them and removes both
#
# Run a node's command with `ip netns exec NAME0 env GLOO_SOCKET_IFNAME=NAMEv0 ...`; the
# addresses exist only inside the namespaces. docs/distributed.md shows a 2 x 2-rank torchrun job.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 up|cut|down NAME" >&2; exit 2; }
action=$1 name=$2
[ ${#name} -le 12 ] || { echo "netns_nodes: NAME '$name' is longer than 12 characters (interface names take 15)" >&2; exit 2; }

case "$action" in
  up)
    ip netns add "${name}0"
    ip netns add "${name}1"
    ip link add "${name}v0" netns "${name}0" type veth peer name "${name}v1" netns "${name}1"
    for n in 0 1; do
      ip -n "${name}$n" addr add "10.77.0.$((n + 1))/24" dev "${name}v$n"
      ip -n "${name}$n" link set "${name}v$n" up
      ip -n "${name}$n" link set lo up
    done
    ;;
  cut)
    ip -n "${name}1" link set "${name}v1" down
    ;;
  down)
    for n in 0 1; do
      if ip netns list | grep -qw "${name}$n"; then
        pids=$(ip netns pids "${name}$n")
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
        ip netns del "${name}$n"
      fi
    done
    ;;
  *) echo "usage: $0 up|cut|down NAME" >&2; exit 2 ;;
esac
