#!/usr/bin/env bash
# A real Docker engine for grading and tests, on a machine with no registry access.
#
#   scripts/docker-lab.sh [up]   install (if needed) and start the engine and a local registry on
#                                127.0.0.1:5000, build the stand-in images
#   scripts/docker-lab.sh down   stop the engine and the registry this script started
#
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail

SOCKET_PATH=/var/run/docker.sock
DOCKERD_LOG=/var/log/docker-lab-dockerd.log
DOCKERD_PIDFILE=/var/run/docker-lab-dockerd.pid
READY_TIMEOUT_SECONDS=60
# Debian's docker-registry (Distribution 2.8), on the host: what the registry lesson's exercise pushes
# to. The engine treats 127.0.0.0/8 registries as insecure by itself, so plain HTTP needs no daemon flag.
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_DIR=/var/lib/docker-lab/registry
REGISTRY_LOG=/var/log/docker-lab-registry.log
REGISTRY_PIDFILE=/var/run/docker-lab-registry.pid

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
  # Compose v1 (Python, 1.29): Debian 12 has no `docker compose` v2 plugin. It names containers
  # PROJECT_SERVICE_1 where v2 says PROJECT-SERVICE-1.
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "docker.io, busybox-static, docker-compose and docker-registry already installed"
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

registry_answers() {
  curl -sf -o /dev/null "http://$REGISTRY_ADDR/v2/"
}

# The packaged /etc/docker/registry/config.yml asks for htpasswd auth and listens on every
# address; this one has no auth, listens on loopback only and lets images be deleted.
start_registry() {
  if registry_answers; then
    say "registry already answering on http://$REGISTRY_ADDR"
    return
  fi
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YAML
  say "starting docker-registry on http://$REGISTRY_ADDR (log: $REGISTRY_LOG)"
  setsid docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_LOG" 2>&1 </dev/null &
  echo $! >"$REGISTRY_PIDFILE"
  local waited=0
  until registry_answers; do
    if [ "$waited" -ge 20 ]; then
      say "registry not answering after 10s; last log lines:" >&2
      tail -n 20 "$REGISTRY_LOG" >&2 || true
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

STAND_IN_LABEL=dev.aprendiendo-docker.stand-in

# The label value an image built from this script's current definition carries: a hash of the
# functions that define the stand-ins, their import options and the busybox binary. Editing any of
# them changes the hash, and `up` rebuilds.
stand_in_hash() {
  { declare -f make_busybox_rootfs add_nginx_files add_redis_files add_hello_files add_registry_files \
      build_stand_in build_images
    sha256sum /bin/busybox /usr/bin/docker-registry; } | sha256sum | cut -c1-16
}

image_label() {
  DOCKER_HOST="unix://$SOCKET_PATH" docker image inspect \
    --format "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$1" 2>/dev/null || true
}

# A minimal root fs: busybox and one symlink per applet, enough for sh, tail, sleep, httpd, ls...
# The files Alpine users look for are there too: /etc/alpine-release, and printenv, adduser and
# addgroup (applets Debian's busybox-static lacks; small scripts stand in for them).
make_busybox_rootfs() {
  local root=$1
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/usr/bin" "$root/usr/sbin" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  echo 3.20.3 >"$root/etc/alpine-release"
  cat >"$root/bin/printenv" <<'SH'
#!/bin/sh
# printenv [NAME...]: the whole environment, or the value of each NAME (exit 1 if one is unset).
[ "$#" -eq 0 ] && exec env
exec awk 'BEGIN { s = 0; for (i = 1; i < ARGC; i++) if (ARGV[i] in ENVIRON) print ENVIRON[ARGV[i]]; else s = 1; exit s }' "$@"
SH
  chmod 755 "$root/bin/printenv"
  # Debian's busybox has no adduser/addgroup applets either: these cover what Dockerfiles use,
  # `addgroup [-S] [-g GID] NAME` and `adduser [-D] [-S] [-H] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] NAME`.
  cat >"$root/usr/sbin/addgroup" <<'SH'
#!/bin/sh
gid= first=1000
while getopts Sg: o; do case $o in S) first=100 ;; g) gid=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1)); name=$1
[ -n "$name" ] || { echo "usage: addgroup [-S] [-g GID] GROUP" >&2; exit 2; }
grep -q "^$name:" /etc/group && { echo "addgroup: group '$name' in use" >&2; exit 1; }
[ -n "$gid" ] || gid=$(awk -F: -v n="$first" '$3 >= n && $3 < 60000 && $3 >= n { n = $3 + 1 } END { print n }' /etc/group)
echo "$name:x:$gid:" >>/etc/group
SH
  cat >"$root/usr/sbin/adduser" <<'SH'
#!/bin/sh
uid= group= home= shell=/bin/sh nohome= first=1000
while getopts DSHu:G:h:s:g: o; do
  case $o in D) ;; S) first=100 shell=/sbin/nologin ;; H) nohome=1 ;; u) uid=$OPTARG ;; G) group=$OPTARG ;;
    h) home=$OPTARG ;; s) shell=$OPTARG ;; g) ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1)); name=$1
[ -n "$name" ] || { echo "usage: adduser [-D] [-S] [-H] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] USER" >&2; exit 2; }
grep -q "^$name:" /etc/passwd && { echo "adduser: user '$name' in use" >&2; exit 1; }
[ -n "$uid" ] || uid=$(awk -F: -v n="$first" '$3 >= n && $3 < 60000 { n = $3 + 1 } END { print n }' /etc/passwd)
if [ -z "$group" ]; then group=$name; grep -q "^$group:" /etc/group || echo "$group:x:$uid:" >>/etc/group; fi
gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' /etc/group)
[ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
[ -n "$home" ] || home=/home/$name
echo "$name:x:$uid:$gid:$name:$home:$shell" >>/etc/passwd
[ -n "$nohome" ] || { mkdir -p "$home" && chown "$uid:$gid" "$home"; }
SH
  chmod 755 "$root/usr/sbin/addgroup" "$root/usr/sbin/adduser"
}

# busybox httpd serving nginx's document root, started by `nginx` (the image's CMD, as in the real
# image: ["nginx", "-g", "daemon off;"]), which ignores nginx's options.
add_nginx_files() {
  local root=$1
  mkdir -p "$root/usr/share/nginx/html"
  cat >"$root/usr/share/nginx/html/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1><p>Aprendiendo Docker: busybox httpd standing in for nginx.</p></body></html>
HTML
  # As PID 1, httpd would ignore SIGTERM (no handler) and `docker stop` would wait 10 s; real nginx
  # stops at once with 0, and so does this shell, which handles the signal for it.
  cat >"$root/usr/sbin/nginx" <<'SH'
#!/bin/sh
# Stand-in: busybox httpd; the options of nginx are ignored.
httpd -f -p 80 -h /usr/share/nginx/html &
trap 'kill $!; exit 0' TERM INT QUIT
wait
SH
  chmod 755 "$root/usr/sbin/nginx"
}

# Listens on 6379 and stays up; it speaks no Redis. It exits on SIGTERM, as redis-server does.
add_redis_files() {
  local root=$1
  mkdir -p "$root/data"
  printf '#!/bin/sh\n# Stand-in: listens on 6379, speaks no Redis.\ntrap "exit 0" TERM INT\nnc -ll -p 6379 -e /bin/cat &\nwait\n' \
    >"$root/usr/local/bin/redis-server"
  chmod 755 "$root/usr/local/bin/redis-server"
}

add_hello_files() {
  local root=$1
  cat >"$root/hello.txt" <<'TXT'

Hello from Docker!
This message shows that your installation appears to be working correctly.

(Aprendiendo Docker: an offline stand-in for the hello-world image.)
TXT
}

# The registry lessons run as `docker run -d -p 5000:5000 registry:2`: Debian's docker-registry binary
# (it needs only glibc, copied in beside it) with the official image's config file and data folder.
add_registry_files() {
  local root=$1
  mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64" "$root/etc/docker/registry" "$root/var/lib/registry"
  cp /usr/bin/docker-registry "$root/bin/registry"
  cp -L /lib/x86_64-linux-gnu/libc.so.6 "$root/lib/x86_64-linux-gnu/"
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  cat >"$root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
YAML
}

# Builds NAME's root fs, adds FILES (a function, or "") and imports it under the first of TAGS
# (space-separated) with the import OPTIONS, then tags the rest. Skipped when every tag already
# carries this definition's hash.
build_stand_in() {
  local work=$1 hash=$2 name=$3 tags=$4 files=$5
  shift 5
  local tag stale=()
  for tag in $tags; do
    [ "$(image_label "$tag")" = "$hash" ] || stale+=("$tag")
  done
  if [ "${#stale[@]}" -eq 0 ]; then
    say "$tags present (stand-in $hash)"
    return
  fi
  say "building $tags (busybox stand-in $hash; missing or from an older definition: ${stale[*]})"
  make_busybox_rootfs "$work/$name"
  [ -z "$files" ] || "$files" "$work/$name"
  local args=(-c "LABEL $STAND_IN_LABEL=$hash") option
  for option in "$@"; do args+=(-c "$option"); done
  local first=${tags%% *}
  tar -C "$work/$name" -c . | DOCKER_HOST="unix://$SOCKET_PATH" docker import "${args[@]}" - "$first" >/dev/null
  for tag in ${tags#"$first"}; do DOCKER_HOST="unix://$SOCKET_PATH" docker tag "$first" "$tag"; done
}

# No registry is reachable from these machines, so `docker pull` cannot work. These images are
# stand-ins built from busybox under the names and tags the lessons use, so the lessons' commands
# run unchanged, except `docker pull` (README.md says what else differs).
build_images() {
  local work hash
  work=$(mktemp -d)
  # Expanded now: a RETURN trap would also fire when the caller returns, after `work` is gone.
  trap "rm -rf '$work'" EXIT
  hash=$(stand_in_hash)
  build_stand_in "$work" "$hash" alpine "alpine:latest alpine:3.20" "" 'CMD ["/bin/sh"]'
  build_stand_in "$work" "$hash" nginx "nginx:latest nginx:1.27-alpine" add_nginx_files \
    'CMD ["nginx", "-g", "daemon off;"]' 'EXPOSE 80'
  build_stand_in "$work" "$hash" redis "redis:7-alpine" add_redis_files \
    'CMD ["redis-server"]' 'EXPOSE 6379' 'WORKDIR /data'
  build_stand_in "$work" "$hash" hello-world "hello-world:latest" add_hello_files 'CMD ["cat", "/hello.txt"]'
  build_stand_in "$work" "$hash" registry "registry:2" add_registry_files \
    'CMD ["registry", "serve", "/etc/docker/registry/config.yml"]' 'EXPOSE 5000' 'VOLUME ["/var/lib/registry"]'
}

up() {
  install_packages
  start_engine
  local api
  api=$(DOCKER_HOST="unix://$SOCKET_PATH" docker version --format '{{.Server.APIVersion}}')
  say "engine ready (API $api)"
  build_images
  start_registry
  say "done"
}

down() {
  if [ -f "$REGISTRY_PIDFILE" ] && kill -0 "$(cat "$REGISTRY_PIDFILE")" 2>/dev/null; then
    say "stopping docker-registry (pid $(cat "$REGISTRY_PIDFILE"))"
    kill "$(cat "$REGISTRY_PIDFILE")"
    rm -f "$REGISTRY_PIDFILE"
  fi
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
