#!/usr/bin/env bash
# A current Docker engine for grading and tests, on a machine with no image registry access.
#
#   scripts/docker-lab.sh install   install Engine 26, Compose v2 and BuildKit (Debian 13's docker.io,
#                                   docker-cli, docker-compose, docker-buildx) and what the stand-ins
#                                   are made of; says what it installs
#   scripts/docker-lab.sh images    build the stand-in images into the engine DOCKER_HOST names
#                                   (scripts/test-lab.sh points it at the tests' own engines)
#   scripts/docker-lab.sh [up]      for running the service here: install, start dockerd on the default
#                                   socket, add the stand-ins wherever no real image has that name, and
#                                   serve a local registry on 127.0.0.1:5000
#   scripts/docker-lab.sh down      stop the engine and the registry that `up` started
#
# Idempotent: every step checks first and does nothing when already done. The tests never use `up`:
# they run on engines of their own (scripts/test-lab.sh), and leave the default engine as it was.
set -euo pipefail

SOCKET_PATH=/var/run/docker.sock
DOCKERD_LOG=/var/log/docker-lab-dockerd.log
DOCKERD_PIDFILE=/var/run/docker-lab-dockerd.pid
READY_TIMEOUT_SECONDS=60
MIN_ENGINE_MAJOR=26
# Debian's docker-registry (Distribution 2.8), on the host: what the registry lesson's exercise pushes
# to. The engine treats 127.0.0.0/8 registries as insecure by itself, so plain HTTP needs no daemon flag.
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_DIR=/var/lib/docker-lab/registry
REGISTRY_LOG=/var/log/docker-lab-registry.log
REGISTRY_PIDFILE=/var/run/docker-lab-registry.pid
# Debian 13's engine on Debian 12: only these four packages come from trixie (pinned at priority 100,
# so nothing else is upgraded); containerd, runc and iptables stay Debian 12's.
TRIXIE_SOURCES=/etc/apt/sources.list.d/trixie-docker.sources
TRIXIE_PIN=/etc/apt/preferences.d/trixie-docker
ENGINE_PACKAGES=(docker.io docker-cli docker-compose docker-buildx)

say() { echo "docker-lab: $*"; }
# shellcheck source=scripts/wait-for.sh
source "$(dirname "${BASH_SOURCE[0]}")/wait-for.sh"

package_version() {
  dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'
}

engine_is_current() {
  local version
  version=$(package_version docker.io)
  [ -n "$version" ] && [ "${version%%.*}" -ge "$MIN_ENGINE_MAJOR" ] 2>/dev/null &&
    [ -n "$(package_version docker-compose)" ] && [ "$(package_version docker-compose | cut -c1)" -ge 2 ] &&
    [ -n "$(package_version docker-buildx)" ]
}

add_trixie_source() {
  # A trixie source already configured some other way is used as it is.
  if grep -rqs 'trixie' /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  say "adding Debian 13 (trixie) as a source, pinned to priority 100: $TRIXIE_SOURCES, $TRIXIE_PIN"
  cat >"$TRIXIE_SOURCES" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >"$TRIXIE_PIN"
}

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  local missing=()
  # Debian's plain `busybox` is dynamically linked and would not run in an image without libc.
  [ -n "$(package_version busybox-static)" ] || missing+=(busybox-static)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  # redis:7-alpine's stand-in is made of Debian's Redis.
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # hello-world's stand-in is a static binary, as the real one is.
  command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  local engine=()
  engine_is_current || engine=("${ENGINE_PACKAGES[@]}")
  if [ "${#missing[@]}" -eq 0 ] && [ "${#engine[@]}" -eq 0 ]; then
    say "Engine $(package_version docker.io), Compose $(package_version docker-compose), buildx $(package_version docker-buildx), busybox-static and docker-registry already installed"
    return
  fi
  [ "${#engine[@]}" -eq 0 ] || add_trixie_source
  apt-get update -qq
  if [ "${#engine[@]}" -gt 0 ]; then
    # NAME/trixie takes only these packages from trixie; their dependencies resolve on Debian 12.
    say "installing ${engine[*]} from Debian 13 (about 15 s): Engine 26, Compose v2, BuildKit's buildx"
    apt-get install -y -qq --no-install-recommends "${engine[@]/%//trixie}" >/dev/null
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} from Debian 12"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  say "installed: Engine $(package_version docker.io), Compose $(package_version docker-compose), buildx $(package_version docker-buildx)"
}

engine_answers() {
  DOCKER_HOST="unix://$SOCKET_PATH" docker info >/dev/null 2>&1
}

start_engine() {
  if engine_answers; then
    say "engine already running on unix://$SOCKET_PATH ($(DOCKER_HOST="unix://$SOCKET_PATH" docker version --format '{{.Server.Version}}'))"
    return
  fi
  say "starting dockerd on unix://$SOCKET_PATH (log: $DOCKERD_LOG)"
  # setsid: the daemon must outlive this script and not receive the caller's signals.
  setsid dockerd --host "unix://$SOCKET_PATH" --pidfile "$DOCKERD_PIDFILE" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  wait_for engine "$DOCKERD_LOG" "$READY_TIMEOUT_SECONDS" engine_answers || exit 1
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
  write_registry_config "$REGISTRY_DIR" "$REGISTRY_ADDR"
  say "starting docker-registry on http://$REGISTRY_ADDR (log: $REGISTRY_LOG)"
  setsid docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_LOG" 2>&1 </dev/null &
  echo $! >"$REGISTRY_PIDFILE"
  wait_for registry "$REGISTRY_LOG" 10 registry_answers || exit 1
}

write_registry_config() {
  cat >"$1/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $1/data
  delete:
    enabled: true
http:
  addr: $2
YAML
}

STAND_IN_LABEL=dev.aprendiendo-docker.stand-in

# The label value an image built from this script's current definition carries: a hash of the
# functions that define the stand-ins, their import options and the binaries they copy. Editing any
# of them changes the hash, and `images` rebuilds.
stand_in_hash() {
  { declare -f make_busybox_rootfs add_alpine_files add_debian_files add_curl add_nginx_files \
      add_redis_files make_hello_rootfs add_registry_files build_stand_in build_images
    sha256sum /bin/busybox /usr/bin/docker-registry /usr/bin/redis-check-rdb /usr/bin/redis-cli; } | sha256sum | cut -c1-16
}

image_label() {
  docker image inspect --format "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$1" 2>/dev/null || true
}

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

# A minimal root fs: busybox and one symlink per applet (minus those named in $2, which the real image
# lacks), enough for sh, tail, sleep, httpd, ls...
make_busybox_rootfs() {
  local root=$1 without=" ${2:-} "
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/usr/bin" "$root/usr/sbin" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || [[ "$without" == *" $applet "* ]] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# What Alpine users look for: /etc/alpine-release, and printenv, adduser and addgroup (applets Debian's
# busybox-static lacks; small scripts stand in for them).
add_alpine_files() {
  local root=$1
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

# The Debian-based official images (nginx:latest) say Debian in /etc/os-release and have no wget.
add_debian_files() {
  local root=$1
  echo 12.8 >"$root/etc/debian_version"
  printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' >"$root/etc/os-release"
}

# curl as the official nginx images ship it, for the options a health check or a lesson uses:
# -f -s -S -L -o FILE and one URL, through busybox's HTTP client (the `wget` applet stays out of PATH
# where the real image has none). Exit codes as curl's: 22 for an HTTP error with -f, 7 when refused.
add_curl() {
  local root=$1
  cat >"$root/usr/bin/curl" <<'SH'
#!/bin/sh
out=- url= fail=
while [ "$#" -gt 0 ]; do
  case $1 in
    -o | --output) out=$2; shift ;;
    --fail) fail=1 ;;
    --silent | --show-error | --location) ;;
    -*o) out=$2; case $1 in *f*) fail=1 ;; esac; shift ;;
    -[fsSL]*) case $1 in *[!-fsSL]*) echo "curl (stand-in): option $1 is not supported" >&2; exit 2 ;; esac
      case $1 in *f*) fail=1 ;; esac ;;
    -*) echo "curl (stand-in): option $1 is not supported" >&2; exit 2 ;;
    *) url=$1 ;;
  esac
  shift
done
[ -n "$url" ] || { echo "curl: no URL specified" >&2; exit 2; }
# The body goes to stdout (or FILE); only busybox's message is kept, to translate it.
{ err=$(busybox wget -q -O "$out" "$url" 2>&1 >&3); } 3>&1 && exit 0
case $err in *refused*) echo "curl: (7) Failed to connect: Connection refused" >&2; exit 7 ;; esac
[ -n "$fail" ] && { echo "curl: (22) The requested URL returned error" >&2; exit 22; }
exit 0
SH
  chmod 755 "$root/usr/bin/curl"
}

# busybox httpd serving nginx's document root, started by `nginx` (the image's CMD, as in the real
# image: ["nginx", "-g", "daemon off;"]), which ignores nginx's options.
add_nginx_files() {
  local root=$1
  add_curl "$root"
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

# Debian's own redis-server and redis-cli (Redis 7.0), with the libraries they link: a real Redis,
# so the course's app can count in it and `redis-cli ping` can be a health check. Like the official
# image's entrypoint, it turns protected mode off when no config file is given: otherwise Redis
# refuses every client from another container.
add_redis_files() {
  local root=$1 program library
  mkdir -p "$root/data" "$root/usr/local/lib/redis"
  for program in redis-server redis-cli; do
    cp -L "/usr/bin/$program" "$root/usr/local/lib/redis/$program"
    for library in $(ldd "/usr/bin/$program" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$library")"
      cp -L "$library" "$root$library"
    done
  done
  ln -s ../lib/redis/redis-cli "$root/usr/local/bin/redis-cli"
  cat >"$root/usr/local/bin/redis-server" <<'SH'
#!/bin/sh
# Stand-in: Debian's redis-server, started as the official image's entrypoint starts it.
case "$1 $* " in
  *.conf\ *|*" --protected-mode "*) exec /usr/local/lib/redis/redis-server "$@" ;;
esac
exec /usr/local/lib/redis/redis-server "$@" --protected-mode no
SH
  chmod 755 "$root/usr/local/bin/redis-server"
}

# The real hello-world holds one static binary, /hello, and nothing else: no shell, no ls.
make_hello_rootfs() {
  local root=$1
  mkdir -p "$root"
  cat >"$root/hello.c" <<'C'
#include <unistd.h>
static const char text[] =
  "\nHello from Docker!\n"
  "This message shows that your installation appears to be working correctly.\n\n"
  "(Aprendiendo Docker: an offline stand-in for the hello-world image.)\n";
int main(void) { return write(1, text, sizeof text - 1) == sizeof text - 1 ? 0 : 1; }
C
  gcc -static -Os -s -o "$root/hello" "$root/hello.c"
  rm "$root/hello.c"
}

# The registry lessons run as `docker run -d -p 5000:5000 registry:2`: Debian's docker-registry binary
# (it needs only glibc, copied in beside it) with the official image's config file and data folder.
add_registry_files() {
  local root=$1
  add_alpine_files "$root"
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

# Builds a root fs with MAKE (a function: MAKE DIR), imports it under the first of TAGS
# (space-separated) with the import OPTIONS, then tags the rest. A tag that already carries this
# definition's hash is kept; a tag held by an image that is no stand-in (a real image) is never
# replaced.
build_stand_in() {
  local work=$1 hash=$2 name=$3 tags=$4 make=$5
  shift 5
  local tag stale=()
  for tag in $tags; do
    local label
    label=$(image_label "$tag")
    if [ "$label" = "$hash" ]; then continue; fi
    if [ -z "$label" ] && image_exists "$tag"; then
      say "$tag is a real image here (no stand-in label): leaving it as it is"
      continue
    fi
    stale+=("$tag")
  done
  if [ "${#stale[@]}" -eq 0 ]; then
    say "$tags present"
    return
  fi
  say "building ${stale[*]} (stand-in $hash)"
  "$make" "$work/$name"
  local args=(-c "LABEL $STAND_IN_LABEL=$hash") option
  for option in "$@"; do args+=(-c "$option"); done
  local first=${stale[0]}
  tar -C "$work/$name" -c . | docker import "${args[@]}" - "$first" >/dev/null
  for tag in "${stale[@]:1}"; do docker tag "$first" "$tag"; done
}

alpine_rootfs() { make_busybox_rootfs "$1" && add_alpine_files "$1"; }
# nginx:latest is Debian-based: curl, bash-less here but with a POSIX sh, and no wget.
nginx_debian_rootfs() { make_busybox_rootfs "$1" wget && add_debian_files "$1" && add_nginx_files "$1"; }
# nginx:*-alpine has busybox's wget and, like the Debian one, curl.
nginx_alpine_rootfs() { alpine_rootfs "$1" && add_nginx_files "$1"; }
redis_rootfs() { alpine_rootfs "$1" && add_redis_files "$1"; }
registry_rootfs() { make_busybox_rootfs "$1" && add_registry_files "$1"; }

# No registry is reachable from these machines, so `docker pull` cannot fetch. These images are
# stand-ins under the names and tags the lessons use, so the lessons' commands run unchanged
# (README.md, "Stand-in images", says what each has beside the real one).
build_images() {
  local work hash
  work=$(mktemp -d)
  # Expanded now: a RETURN trap would also fire when the caller returns, after `work` is gone.
  trap "rm -rf '$work'" EXIT
  hash=$(stand_in_hash)
  build_stand_in "$work" "$hash" alpine "alpine:latest alpine:3.20" alpine_rootfs 'CMD ["/bin/sh"]'
  build_stand_in "$work" "$hash" nginx "nginx:latest" nginx_debian_rootfs \
    'CMD ["nginx", "-g", "daemon off;"]' 'EXPOSE 80'
  build_stand_in "$work" "$hash" nginx-alpine "nginx:1.27-alpine" nginx_alpine_rootfs \
    'CMD ["nginx", "-g", "daemon off;"]' 'EXPOSE 80'
  build_stand_in "$work" "$hash" redis "redis:7-alpine" redis_rootfs \
    'CMD ["redis-server"]' 'EXPOSE 6379' 'WORKDIR /data'
  build_stand_in "$work" "$hash" hello-world "hello-world:latest" make_hello_rootfs 'CMD ["/hello"]'
  build_stand_in "$work" "$hash" registry "registry:2" registry_rootfs \
    'CMD ["registry", "serve", "/etc/docker/registry/config.yml"]' 'EXPOSE 5000' 'VOLUME ["/var/lib/registry"]'
}

up() {
  install_packages
  start_engine
  say "engine ready: $(DOCKER_HOST="unix://$SOCKET_PATH" docker version --format 'Engine {{.Server.Version}}, API {{.Server.APIVersion}}')"
  export DOCKER_HOST="unix://$SOCKET_PATH"
  build_images
  start_registry
  say "done"
}

images() {
  docker info >/dev/null 2>&1 || { say "no engine answers on ${DOCKER_HOST:-unix://$SOCKET_PATH}" >&2; exit 1; }
  build_images
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
install) install_packages ;;
images) images ;;
registry-config) write_registry_config "$2" "$3" ;;
up) up ;;
down) down ;;
*)
  echo "usage: $0 [install|images|up|down]" >&2
  exit 2
  ;;
esac
