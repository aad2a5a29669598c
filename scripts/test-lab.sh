#!/usr/bin/env bash
# The test suite's own lab: `npm test` runs the suite through this script.
#
#   scripts/test-lab.sh COMMAND [ARG...]
#
# COMMAND runs inside a lab that exists only for this run, and nothing of it outlives the run:
#   - a PID namespace: every process the tests start dies with the run, even after a kill -9 of the
#     run itself (`unshare --kill-child`), and a mount namespace for the engines' mounts;
#   - a network namespace of its own: what the tests listen on (published ports, the registry on
#     127.0.0.1:5000, PostgreSQL, the service) never meets the developer's ports;
#   - two Docker engines of its own, Engine 26: DOCKER_HOST, with the classic image store, in the
#     lab's network; DOCKER_HOST_CONTAINERD_STORE, with the containerd image store, in a network
#     namespace of its own (CONTAINERD_STORE_NETNS) with a registry of its own, so both can publish
#     the same ports;
#   - the stand-in images (scripts/docker-lab.sh images) and node:20-bookworm-slim
#     (scripts/node-base-image.sh) in those engines, kept between runs in TEST_LAB_DIR
#     (default /var/lib/aprendiendo-docker-test; remove it to reclaim the space);
#   - TEST_LAB_EGRESS_PROXY: a proxy, inside the lab, that reaches the npm registry only, for the
#     test that builds the service's image (its `npm ci`);
#   - TEST_LAB_BROWSER_NETNS: a network namespace with nothing but its loopback, for the test
#     browser, which reaches the lab's loopback through TEST_LAB_BROWSER_PROXY (SOCKS5,
#     scripts/loopback-socks.mjs): no network an engine makes there cancels a page's requests.
# The developer's default engine, images, ports and processes are never touched: before and after the
# run this script compares them, and a difference fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test-lab: $*"; }
# shellcheck source=scripts/wait-for.sh
source scripts/wait-for.sh
LAB_DIR=${TEST_LAB_DIR:-/var/lib/aprendiendo-docker-test}
CGROUP_PREFIX=aprendiendo-test-lab
READY_TIMEOUT_SECONDS=90

# --- inside the PID and mount namespaces (this shell is PID 1 there) ---------------------------------

# A process that only holds a new network namespace open; NETNS is its /proc/PID/ns/net.
new_netns() {
  unshare --net sleep infinity >/dev/null 2>&1 </dev/null &
  local holder=$! own
  own=$(readlink /proc/self/ns/net)
  wait_for "network namespace" /dev/null "$READY_TIMEOUT_SECONDS" sh -c "[ \"\$(readlink /proc/$holder/ns/net)\" != '$own' ]"
  nsenter --net="/proc/$holder/ns/net" ip link set lo up
  NETNS="/proc/$holder/ns/net"
}

# NAME NETNS DATA_ROOT CONFIG_JSON: a dockerd with its own socket, exec root, containerd namespace and
# cgroup parent; its daemon.json is ours, never /etc/docker/daemon.json.
start_engine() {
  local name=$1 netns=$2 data=$3 config=$4
  echo "$config" >"$RUN/$name.json"
  mkdir -p "$data"
  nsenter --net="$netns" dockerd \
    --host "unix://$RUN/$name.sock" --data-root "$data" --exec-root "$RUN/$name" \
    --pidfile "$RUN/$name.pid" --config-file "$RUN/$name.json" \
    --containerd-namespace "$CGROUP_PREFIX-$name" --containerd-plugins-namespace "$CGROUP_PREFIX-$name-plugins" \
    --cgroup-parent "$CGROUP_PREFIX-$RUN_ID-$name" --shutdown-timeout 2 >"$RUN/$name.log" 2>&1 </dev/null &
  wait_for "engine $name" "$RUN/$name.log" "$READY_TIMEOUT_SECONDS" env DOCKER_HOST="unix://$RUN/$name.sock" docker info
}

start_registry() { # NAME NETNS: Debian's docker-registry on the namespace's 127.0.0.1:5000
  local name=$1 netns=$2
  mkdir -p "$RUN/registry-$name/data"
  bash scripts/docker-lab.sh registry-config "$RUN/registry-$name" 127.0.0.1:5000
  nsenter --net="$netns" docker-registry serve "$RUN/registry-$name/config.yml" >"$RUN/registry-$name.log" 2>&1 </dev/null &
  wait_for "registry $name" "$RUN/registry-$name.log" "$READY_TIMEOUT_SECONDS" nsenter --net="$netns" curl -sf http://127.0.0.1:5000/v2/
}

# What an earlier run that was killed may have left in the kept engines.
clear_engine() {
  local containers
  containers=$(docker ps -aq)
  [ -z "$containers" ] || docker rm -f $containers >/dev/null
  docker network prune -f >/dev/null
  docker volume prune -af >/dev/null
}

# The course's app (content/app) builds on node:20-bookworm-slim, and exercises are graded on both
# stores: the containerd store gets the classic engine's stand-in, unless it has that very one.
copy_node_image_to_containerd_store() {
  local label='{{index .Config.Labels "aprendiendo.stand-in"}}' made there
  made=$(docker image inspect -f "$label" node:20-bookworm-slim)
  there=$(DOCKER_HOST=$DOCKER_HOST_CONTAINERD_STORE docker image inspect -f "$label" node:20-bookworm-slim 2>/dev/null || true)
  if [ "$made" = "$there" ]; then
    say "  containerd: node:20-bookworm-slim (stand-in $made) is current"
    return
  fi
  say "  containerd: copying node:20-bookworm-slim (stand-in $made) from the classic store"
  docker save node:20-bookworm-slim | DOCKER_HOST=$DOCKER_HOST_CONTAINERD_STORE docker load -q >/dev/null
}

stop_engines() {
  local pidfile pid
  for pidfile in "$RUN"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || continue
    # --shutdown-timeout 2 bounds the containers' stop; the daemon itself then exits.
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 150 ]; do
      sleep 0.2
      waited=$((waited + 1))
    done
  done
}

inside() {
  RUN=$1
  shift
  trap stop_engines EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  local started=$SECONDS data="" slot
  mkdir -p "$LAB_DIR"
  # Runs side by side (a developer's and an editor's, say) each take a kept slot of their own, so
  # only a slot's first run builds the stand-ins; past the last slot a run builds them in $RUN.
  for slot in "" -2 -3 -4 -5; do
    exec 9>"$LAB_DIR/lock$slot"
    if flock -n 9; then
      data="$LAB_DIR/engines$slot"
      break
    fi
    exec 9>&-
  done
  if [ -z "$data" ]; then
    data="$RUN/engines"
    say "five other runs hold $LAB_DIR: this run's engines keep their images in $RUN (stand-ins built anew)"
  fi

  local classic_net containerd_net
  new_netns
  classic_net=$NETNS
  new_netns
  containerd_net=$NETNS
  start_engine classic "$classic_net" "$data/classic" '{}'
  start_engine containerd "$containerd_net" "$data/containerd" '{"features": {"containerd-snapshotter": true}}'
  export DOCKER_HOST="unix://$RUN/classic.sock" DOCKER_HOST_CONTAINERD_STORE="unix://$RUN/containerd.sock"
  say "engines ready in $((SECONDS - started)) s: classic store on $DOCKER_HOST, containerd store on $DOCKER_HOST_CONTAINERD_STORE ($(docker version --format 'Engine {{.Server.Version}}, API {{.Server.APIVersion}}'))"

  # Made in this (the host's) network: debootstrap reaches Debian's mirror; the images go over the socket.
  clear_engine
  bash scripts/docker-lab.sh images | sed 's/^/  classic: /'
  bash scripts/node-base-image.sh | sed 's/^/  classic: /'
  DOCKER_HOST=$DOCKER_HOST_CONTAINERD_STORE clear_engine
  DOCKER_HOST=$DOCKER_HOST_CONTAINERD_STORE bash scripts/docker-lab.sh images | sed 's/^/  containerd: /'
  copy_node_image_to_containerd_store

  start_registry classic "$classic_net"
  start_registry containerd "$containerd_net"

  # The proxy's two halves: one in the host's network, which reaches the npm registry, and one in the
  # lab's, which the image build talks to; a Unix socket joins them across the namespaces.
  local registry_host
  registry_host=$(node -p "new URL(process.argv[1]).hostname" "$(npm config get registry)")
  node scripts/egress-proxy.mjs serve "$RUN/egress.sock" "$registry_host" >"$RUN/egress.log" 2>&1 </dev/null &
  nsenter --net="$classic_net" node scripts/egress-proxy.mjs forward 127.0.0.1:3128 "$RUN/egress.sock" \
    >>"$RUN/egress.log" 2>&1 </dev/null &
  wait_for "egress proxy" "$RUN/egress.log" "$READY_TIMEOUT_SECONDS" nsenter --net="$classic_net" curl -s -o /dev/null http://127.0.0.1:3128/
  export TEST_LAB_EGRESS_PROXY=http://127.0.0.1:3128 CONTAINERD_STORE_NETNS=$containerd_net

  # The test browser's namespace, which holds only its loopback, and its way to the lab's loopback.
  local browser_net
  new_netns
  browser_net=$NETNS
  nsenter --net="$classic_net" node scripts/loopback-socks.mjs "$RUN/browser.sock" >"$RUN/browser-proxy.log" 2>&1 </dev/null &
  nsenter --net="$browser_net" node scripts/egress-proxy.mjs forward 127.0.0.1:1080 "$RUN/browser.sock" \
    >>"$RUN/browser-proxy.log" 2>&1 </dev/null &
  wait_for "browser proxy" "$RUN/browser-proxy.log" "$READY_TIMEOUT_SECONDS" \
    nsenter --net="$browser_net" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1080'
  export TEST_LAB_BROWSER_NETNS=$browser_net TEST_LAB_BROWSER_PROXY=socks5://127.0.0.1:1080
  say "lab ready in $((SECONDS - started)) s; running: $*"

  # In the background and waited for, so that a TERM or INT reaches the traps at once.
  nsenter --net="$classic_net" "$@" &
  local status=0
  wait $! || status=$?
  return "$status"
}

if [ "${1:-}" = --inside ]; then
  shift
  inside "$@"
  exit
fi

# --- on the host --------------------------------------------------------------------------------------

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
if [ "$EUID" -ne 0 ]; then
  say "the lab's engines need root (namespaces, dockerd): run the tests as root, or with sudo" >&2
  exit 1
fi

RUN_ID="$(date +%s)-$$"
run_dir=$(mktemp -d "/tmp/$CGROUP_PREFIX.XXXXXX")

# What the developer has: the default engine's containers and images, the host's listening sockets.
default_engine() { DOCKER_HOST=unix:///var/run/docker.sock timeout 20 docker "$@" 2>/dev/null; }
machine_state() {
  if default_engine info >/dev/null; then
    default_engine ps -a --no-trunc --format 'container {{.ID}} {{.Image}} {{.State}}' | sort
    default_engine images -a --no-trunc --format 'image {{.ID}} {{.Repository}}:{{.Tag}}' | sort
  else
    echo "default engine: not running"
  fi
  ss -ltnuH | awk '{ print "listening " $1 " " $5 }' | sort -u
}
# Processes of this run still alive: they carry TEST_LAB_RUN in their environment.
left_processes() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    grep -qsz "^TEST_LAB_RUN=$RUN_ID\$" "$environ" || continue
    pid=${environ#/proc/}
    pid=${pid%/environ}
    echo "process $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
  done
}
# The empty cgroups left by engines that were killed, this run's and older runs'.
remove_lab_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/"$CGROUP_PREFIX"-* /sys/fs/cgroup/"$CGROUP_PREFIX"-*; do
    [ -d "$dir" ] && { find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; }
  done
  return 0
}

remove_lab_cgroups
before=$(machine_state)
status=0
# How the lab ends early: unshare ignores TERM and INT while it waits, but when it dies, --kill-child
# sends TERM to the lab's PID 1, which stops its engines before the namespace takes every process
# with it. --pdeathsig KILL does that when this script itself is killed, even with kill -9; a TERM or
# INT here does it too, and this script then waits for the lab's PID 1 to finish stopping.
RUN_ID=$RUN_ID TEST_LAB_RUN=$RUN_ID setpriv --pdeathsig KILL unshare --pid --mount --fork \
  --kill-child=SIGTERM --mount-proc --propagation private bash "$0" --inside "$run_dir" "$@" &
lab=$!
end_early() {
  local inside
  inside=$(pgrep -P "$lab" || true)
  kill -KILL "$lab" 2>/dev/null || true
  for _ in $(seq 300); do
    [ -n "$inside" ] && [ -d "/proc/$inside" ] || break
    sleep 0.2
  done
}
trap 'end_early; status=143' TERM HUP
trap 'end_early; status=130' INT
code=0
wait "$lab" || code=$?
[ "$status" -ne 0 ] || status=$code
trap - TERM HUP INT
rm -rf "$run_dir"
remove_lab_cgroups
after=$(machine_state)
left=$(left_processes)
changed=$(diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>] //p' || true)
# A socket that another program opened meanwhile (the machine is busy) is named, not counted: only a
# process of this run can have left one, and those are listed as left running.
others=$(echo "$changed" | grep '^listening ' || true)
changed=$(echo "$changed" | grep -v '^listening ' || true)
[ -z "$others" ] || echo "$others" | sed 's/^/test-lab: not the run'"'"'s, opened meanwhile by another program: /'
if [ -n "$changed" ] || [ -n "$left" ]; then
  say "the run changed the developer's machine:" >&2
  [ -z "$changed" ] || echo "$changed" | sed 's/^/  /' >&2
  [ -z "$left" ] || echo "$left" | sed 's/^/  left running: /' >&2
  [ "$status" -ne 0 ] || status=1
else
  say "the machine is as it was: $(echo "$after" | grep -c '^container') containers and $(echo "$after" | grep -c '^image') images on the default engine, $(echo "$after" | grep -c '^listening') listening sockets, no process of the run left"
fi
exit "$status"
