#!/usr/bin/env bash
# What `npm test` needs besides node_modules, installed before it runs (npm's `pretest`):
#   - Engine 26, Compose v2, BuildKit's buildx and what the stand-in images are made of
#     (scripts/docker-lab.sh install: Debian 13's docker.io, docker-cli, docker-compose and
#     docker-buildx, Debian 12's busybox-static, docker-registry and gcc), about 30 s the first time
#   - Debian's chromium, for the browser tests
#   - Debian's redis-server, for the shared rate limit's tests (scripts/redis-lab.sh)
#   - Debian's debootstrap, for the stand-in node:20-bookworm-slim (scripts/node-base-image.sh)
#   - what learners' sandboxes run on (README, "Sandboxes"): uidmap (newuidmap), rootlesskit,
#     slirp4netns, iptables, e2fsprogs (each sandbox's disk image); python3 stands in for the outside
#     world in the escape suite. /dev/net/tun stays as it is: each sandbox gets a 0666 node of its own.
# When all is there it only checks, in about a second. It installs only: no engine is started here.
# The suite then runs in a lab of its own (scripts/test-lab.sh), with its own engines, which are
# stopped after it; the developer's default engine and its images are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "prepare-test-env: $*"; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
command -v newuidmap >/dev/null 2>&1 || missing+=(uidmap)
command -v rootlesskit >/dev/null 2>&1 || missing+=(rootlesskit)
command -v slirp4netns >/dev/null 2>&1 || missing+=(slirp4netns)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v python3 >/dev/null 2>&1 || missing+=(python3)

if [ "$EUID" -ne 0 ]; then
  # The lab itself needs root (namespaces and dockerd), so there is nothing to do without it.
  say "the tests start Docker engines of their own, which needs root: run 'sudo npm test'" >&2
  exit 1
fi

bash scripts/redis-lab.sh
bash scripts/docker-lab.sh install
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
say "ready: $(dockerd --version), $(docker compose version), $(docker buildx version | cut -d' ' -f1-2), $(chromium --version 2>/dev/null | head -1)"
