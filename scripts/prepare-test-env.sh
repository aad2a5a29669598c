#!/usr/bin/env bash
# What `npm test` needs besides node_modules, prepared before it runs (npm's `pretest`):
#   - a Docker engine: DOCKER_HOST, or the default socket /var/run/docker.sock
#   - the offline stand-in images the lessons use: alpine:latest and nginx:latest
#   - Debian's chromium, for the browser tests
#   - Debian's redis-server, for the shared rate limit's tests (scripts/redis-lab.sh installs it)
#   - a stand-in node:20-bookworm-slim for the service's own Dockerfile (scripts/node-base-image.sh
#     makes it offline with debootstrap, about a minute the first time)
# When all is there it only checks, in well under a second. Otherwise, as root, it runs
# scripts/docker-lab.sh up, which says what it installs (Debian's docker.io, busybox-static) and
# builds. Not root, it lists what is missing and how to get it, and stops before the suite would
# fail on it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "prepare-test-env: $*"; }
IMAGES=(alpine:latest nginx:latest)

# Redis first: it does not depend on the engine, and its script says what it installs or lacks.
redis_ready=true
bash scripts/redis-lab.sh || redis_ready=false

missing=()
check() {
  missing=()
  if ! command -v docker >/dev/null 2>&1; then
    missing+=("the docker client (Debian: apt-get install docker.io)")
  elif ! docker info >/dev/null 2>&1; then
    if [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && [ ! -w /var/run/docker.sock ]; then
      missing+=("permission to use /var/run/docker.sock (add this user to the docker group)")
    else
      missing+=("a Docker engine answering on ${DOCKER_HOST:-unix:///var/run/docker.sock}")
    fi
  else
    local image
    for image in "${IMAGES[@]}"; do
      docker image inspect "$image" >/dev/null 2>&1 || missing+=("the image $image")
    done
  fi
}

# The browser tests drive Debian's chromium through playwright-core, which downloads no browser.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$EUID" -eq 0 ]; then
    say "installing Debian's chromium and fonts-dejavu-core (browser tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  else
    say "missing: chromium for the browser tests: run 'sudo apt-get install chromium fonts-dejavu-core' once" >&2
    exit 1
  fi
fi

# As root on the default socket, docker-lab.sh itself decides: it is idempotent, takes a quarter of a
# second when all is current, and rebuilds stand-ins whose definition changed since they were built.
if [ "$EUID" -eq 0 ] && { [ -z "${DOCKER_HOST:-}" ] || [ "$DOCKER_HOST" = "unix:///var/run/docker.sock" ]; }; then
  bash scripts/docker-lab.sh up
fi

check
if [ "${#missing[@]}" -eq 0 ]; then
  "$redis_ready" || exit 1
  bash scripts/node-base-image.sh
  say "ready: engine $(docker version --format '{{.Server.Version}}') on ${DOCKER_HOST:-unix:///var/run/docker.sock}, images ${IMAGES[*]}"
  exit 0
fi

say "missing: $(printf '%s; ' "${missing[@]}")"
# docker-lab.sh manages the default socket only: another DOCKER_HOST is someone else's engine.
if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix:///var/run/docker.sock" ]; then
  say "DOCKER_HOST=$DOCKER_HOST is not managed here: start that engine (and load ${IMAGES[*]} into it), or unset DOCKER_HOST" >&2
  exit 1
fi
if [ "$EUID" -ne 0 ]; then
  say "installing and starting an engine needs root: run 'sudo bash scripts/docker-lab.sh up' once, then npm test" >&2
  exit 1
fi

say "preparing with scripts/docker-lab.sh up"
bash scripts/docker-lab.sh up
check
if [ "${#missing[@]}" -ne 0 ]; then
  say "still missing after docker-lab.sh: $(printf '%s; ' "${missing[@]}")" >&2
  exit 1
fi
"$redis_ready" || exit 1
bash scripts/node-base-image.sh
say "ready"
