#!/usr/bin/env bash
# A stand-in for the official node:20-bookworm-slim, made offline, so that the service's own
# Dockerfile (which names the real image) builds on a machine that reaches no image registry.
#
#   scripts/node-base-image.sh   build it if missing or made from another definition; else only check
#
# What it is: Debian 12 from debootstrap (minbase, from the apt mirror this machine uses), this
# machine's Node 20 binary at /usr/local/bin/node and its npm under /usr/local/lib/node_modules/npm
# (the official image's layout), and the user `node` (uid and gid 1000), as in the official image.
# It differs in npm's version (the host's) and in carrying the host's CA bundle, so that npm inside
# a build trusts the same TLS as npm on this machine. Needs root (debootstrap) and about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=node:20-bookworm-slim
say() { echo "node-base-image: $*"; }

node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
ca_bundle=/etc/ssl/certs/ca-certificates.crt
# The image is rebuilt whenever this script, the Node binary or npm changes.
definition=$(cat "$0" "$node_bin" "$npm_dir/package.json" | sha256sum | cut -c1-16)

if [ "$(docker image inspect -f '{{index .Config.Labels "aprendiendo.stand-in"}}' "$IMAGE" 2>/dev/null)" = "$definition" ]; then
  say "$IMAGE (stand-in $definition, node $("$node_bin" --version)) is current"
  exit 0
fi
if docker image inspect "$IMAGE" >/dev/null 2>&1 &&
  [ -z "$(docker image inspect -f '{{index .Config.Labels "aprendiendo.stand-in"}}' "$IMAGE")" ]; then
  say "$IMAGE exists and is not a stand-in made here (a real one, perhaps): leaving it as it is"
  exit 0
fi
if [ "$EUID" -ne 0 ]; then
  say "missing: the stand-in $IMAGE; making it needs root (debootstrap): sudo bash scripts/node-base-image.sh" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing Debian's debootstrap with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /tmp/node-base-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

say "debootstrap bookworm (minbase) from $mirror into $rootfs, about a minute"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
say "adding node $("$node_bin" --version), npm $(node -p "require('$npm_dir/package.json').version") and the user node"
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
mkdir -p "$rootfs/etc/ssl/certs"
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*

say "importing as $IMAGE"
tar -C "$rootfs" -c . | docker import \
  -c 'ENV NODE_VERSION='"$("$node_bin" --version | tr -d v)" \
  -c "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
  -c "LABEL aprendiendo.stand-in=$definition" \
  -c 'CMD ["node"]' - "$IMAGE" >/dev/null
say "built $IMAGE (stand-in $definition)"
