#!/usr/bin/env bash
# A real Docker engine for grading and tests, on a machine with no registry access.
#
#   scripts/docker-lab.sh [up]   install (if needed) and start the engine, build the stand-in images
#   scripts/docker-lab.sh down   stop the engine this script started
#
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail

SOCKET_PATH=/var/run/docker.sock
DOCKERD_LOG=/var/log/docker-lab-dockerd.log
DOCKERD_PIDFILE=/var/run/docker-lab-dockerd.pid
READY_TIMEOUT_SECONDS=60

say() { echo "docker-lab: $*"; }

engine_answers() {
  DOCKER_HOST="unix://$SOCKET_PATH" docker info >/dev/null 2>&1
}

package_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  # Debian's plain `busybox` is dynamically linked and would not run in an image without libc.
  package_installed busybox-static || missing+=(busybox-static)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "docker.io and busybox-static already installed"
    return
  fi
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "installed ${missing[*]}"
}

start_engine() {
  if engine_answers; then
    say "engine already running on unix://$SOCKET_PATH"
    return
  fi
  say "starting dockerd on unix://$SOCKET_PATH (log: $DOCKERD_LOG)"
  # setsid: the daemon must outlive this script and not receive the caller's signals.
  setsid dockerd --host "unix://$SOCKET_PATH" --pidfile "$DOCKERD_PIDFILE" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local waited=0
  until engine_answers; do
    if [ "$waited" -ge "$READY_TIMEOUT_SECONDS" ]; then
      say "engine not ready after ${READY_TIMEOUT_SECONDS}s; last log lines:" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

image_present() {
  DOCKER_HOST="unix://$SOCKET_PATH" docker image inspect "$1" >/dev/null 2>&1
}

# A minimal root fs: busybox and one symlink per applet, enough for sh, tail, sleep, httpd, ls...
make_busybox_rootfs() {
  local root=$1
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# No registry is reachable from these machines, so `docker pull` cannot work. These images are
# stand-ins built from busybox under the names learners type in the lessons (alpine, nginx),
# so the seed's commands run unchanged.
build_images() {
  local work
  work=$(mktemp -d)
  # Expanded now: a RETURN trap would also fire when the caller returns, after `work` is gone.
  trap "rm -rf '$work'" EXIT

  if image_present alpine:latest; then
    say "image alpine:latest present"
  else
    say "building alpine:latest (busybox stand-in)"
    make_busybox_rootfs "$work/alpine"
    tar -C "$work/alpine" -c . | DOCKER_HOST="unix://$SOCKET_PATH" docker import -c 'CMD ["/bin/sh"]' - alpine:latest >/dev/null
  fi

  if image_present nginx:latest; then
    say "image nginx:latest present"
  else
    say "building nginx:latest (busybox httpd stand-in)"
    make_busybox_rootfs "$work/nginx"
    mkdir -p "$work/nginx/usr/share/nginx/html"
    cat >"$work/nginx/usr/share/nginx/html/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1><p>Aprendiendo Docker: busybox httpd standing in for nginx.</p></body></html>
HTML
    tar -C "$work/nginx" -c . | DOCKER_HOST="unix://$SOCKET_PATH" docker import \
      -c 'CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]' \
      -c 'EXPOSE 80' \
      - nginx:latest >/dev/null
  fi
}

up() {
  install_packages
  start_engine
  local api
  api=$(DOCKER_HOST="unix://$SOCKET_PATH" docker version --format '{{.Server.APIVersion}}')
  say "engine ready (API $api)"
  build_images
  say "done"
}

down() {
  if [ -f "$DOCKERD_PIDFILE" ] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; then
    local pid
    pid=$(cat "$DOCKERD_PIDFILE")
    say "stopping dockerd (pid $pid)"
    kill "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge 30 ]; then
        say "dockerd still running after 30s" >&2
        exit 1
      fi
      sleep 1
      waited=$((waited + 1))
    done
    say "engine stopped"
  else
    say "no engine started by this script is running"
  fi
}

case "${1:-up}" in
up) up ;;
down) down ;;
*)
  echo "usage: $0 [up|down]" >&2
  exit 2
  ;;
esac
