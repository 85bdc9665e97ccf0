#!/usr/bin/env bash
# Two simulated hosts on this machine, each running wirestate on the same spec
# (examples/two-hosts) with its own --host: endpoints on different hosts reach each other by name
# over VXLAN. Nothing outside the namespaces it makes is touched. As root:
#
#   bash scripts/two-hosts.sh        # make the hosts, reconcile both, show it working
#   bash scripts/two-hosts.sh down   # take it all away again
#
# PREFIX (default ws-demo) names the namespaces: PREFIX-lan, PREFIX-a, PREFIX-b.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-ws-demo}
SPEC=examples/two-hosts
STATE=${STATE:-/tmp/$PREFIX-state}
ws() { node bin/wirestate.js "$@"; }

if [ "${1:-up}" = down ]; then
  for h in a b; do
    if [ -e "/run/netns/$PREFIX-$h" ]; then ws down --netns "$PREFIX-$h" --host "$h" --state-dir "$STATE" "$SPEC" >/dev/null; fi
  done
  for ns in "$PREFIX-a" "$PREFIX-b" "$PREFIX-lan"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$STATE"
  echo "removed $PREFIX-a, $PREFIX-b and $PREFIX-lan"
  exit 0
fi

# The LAN: a bridge in a namespace of its own; each host's eth0 on it, with its address from hosts:.
ip netns add "$PREFIX-lan"
ip -n "$PREFIX-lan" link add br0 type bridge
ip -n "$PREFIX-lan" link set br0 up
i=0
for h in a b; do
  ip netns add "$PREFIX-$h"
  ip -n "$PREFIX-lan" link add "u$h" type veth peer name eth0 netns "$PREFIX-$h"
  ip -n "$PREFIX-lan" link set "u$h" master br0 up
  ip -n "$PREFIX-$h" addr add "192.0.2.1$((++i))/24" dev eth0
  ip -n "$PREFIX-$h" link set eth0 up
  ip -n "$PREFIX-$h" link set lo up
done

for h in a b; do
  echo "== host $h"
  ws reconcile --once --netns "$PREFIX-$h" --host "$h" --state-dir "$STATE" "$SPEC" 2>&1 >/dev/null
  ws network ls --netns "$PREFIX-$h" --state-dir "$STATE"
done

# In an endpoint, with its resolv.conf and hosts: inside HOST ENDPOINT COMMAND…
inside() { local h=$1 e=$2; shift 2; ws exec --netns "$PREFIX-$h" --host "$h" --state-dir "$STATE" -d "$SPEC" "$e" -- "$@"; }
say() { if [ "$1" = 0 ]; then echo "ok    $2"; else echo "FAIL  $2"; failed=1; fi; }
failed=0
echo "== across hosts"
echo "web (host a) finds api (host b) at $(inside a web getent hosts api | cut -d' ' -f1)"
inside a web ping -c1 -W2 api >/dev/null 2>&1; say $? "web (host a) pings api (host b) by name over the app overlay"
inside a db ping -c1 -W2 api >/dev/null 2>&1; say $? "db (host a) pings api (host b) by name over the internal data overlay"
db=$(inside a db ip -4 -o addr show dev eth0 | sed -E 's/.* inet ([0-9.]+).*/\1/')
! inside a web ping -c1 -W1 "$db" >/dev/null 2>&1; say $? "web cannot reach db ($db): they share no network"
echo "take it down with: bash scripts/two-hosts.sh down"
exit $failed
