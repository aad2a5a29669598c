#!/usr/bin/env bash
# The mount root one sandbox's engine runs under. Run by the sandbox host as root, already inside
# `unshare --mount --propagation private` and the sandbox's cgroups:
#
#   private-root.sh ROOT USER DISK RUNTIME_DIR [--cgroup=/sys/fs/cgroup/CONTROLLER/GROUP...] DOCKERD_ARG...
#
# It builds ROOT (an empty directory) from: the host's /usr read-only (system software, no data), an
# /etc made here with this user alone, a /dev of device nodes that are safe to share, fresh /tmp and
# /run, the sandbox's own disk (DISK, an ext4 image: the disk quota) as the user's home, and
# RUNTIME_DIR, where the engine's socket appears for the service. Then pivot_root makes ROOT `/` and
# the old root is detached, so nothing else of the host has a path from inside (`-v /:/host` shows
# only this). Last, it drops to USER and starts the rootless engine, which adds its own user, PID and
# network namespaces (rootlesskit with --pidns, slirp4netns with no route to the host's loopback).
set -euo pipefail
root=$1 user=$2 disk=$3 runtime=$4
shift 4
uid=$(id -u "$user")
gid=$(id -g "$user")

mount -t tmpfs -o mode=0755,size=16m sandbox-root "$root"
mkdir -p "$root"/{usr,etc,proc,sys,dev,tmp,run,home/sandbox,var/tmp,var/lib}
mount --rbind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
for link in bin sbin lib lib32 lib64 libx32; do
  [ -L "/$link" ] && ln -s "$(readlink "/$link")" "$root/$link"
done

# /etc: what dockerd, iptables and the loader read, and user files that name this sandbox's user only.
etc=$root/etc
for file in ld.so.cache ld.so.conf nsswitch.conf host.conf protocols services ethertypes localtime; do
  [ -e "/etc/$file" ] && cp -L "/etc/$file" "$etc/$file"
done
cp -a /etc/ld.so.conf.d /etc/alternatives "$etc/" 2>/dev/null || true
mkdir -p "$etc/ssl"
[ -d /etc/ssl/certs ] && cp -aL /etc/ssl/certs "$etc/ssl/certs"
printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%s:%s::/home/sandbox:/bin/sh\n' "$user" "$uid" "$gid" >"$etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$user" "$gid" >"$etc/group"
grep "^$user:" /etc/subuid >"$etc/subuid"
grep "^$user:" /etc/subgid >"$etc/subgid"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$etc/hosts"
echo sandbox >"$etc/hostname"
# No resolver: nothing leaves the machine, and images come preloaded.
: >"$etc/resolv.conf"

mount -t proc proc "$root/proc"
# sysfs without its submounts: the engine needs a visible sysfs to mount a fresh one in each
# container's network namespace. Of the host's cgroup tree, runc sees the sandbox's own groups only,
# read-only (it needs some cgroup mount, and rootless on cgroup v1 uses none for limits).
mount --bind /sys "$root/sys"
mount -o remount,bind,ro "$root/sys"
mount -t tmpfs -o mode=0755,size=64k sandbox-cgroups "$root/sys/fs/cgroup"
for group in "$@"; do
  case $group in --cgroup=*) ;; *) continue ;; esac
  group=${group#--cgroup=}
  controller=${group#/sys/fs/cgroup/}
  controller=${controller%%/*}
  mkdir -p "$root/sys/fs/cgroup/$controller"
  mount --bind "$group" "$root/sys/fs/cgroup/$controller"
  mount -o remount,bind,ro "$root/sys/fs/cgroup/$controller"
done
mount -o remount,ro sandbox-cgroups "$root/sys/fs/cgroup" 2>/dev/null || mount -o remount,bind,ro "$root/sys/fs/cgroup"

mount -t tmpfs -o mode=0755,size=1m sandbox-dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
# Its own tun node, 0666 here only: slirp4netns needs it, and the host's /dev/net/tun stays as it is.
mkdir -p "$root/dev/net" "$root/dev/pts" "$root/dev/shm"
mknod -m 0666 "$root/dev/net/tun" c 10 200
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"

mount -t tmpfs -o mode=1777,size=64m sandbox-tmp "$root/tmp"
mount -t tmpfs -o mode=1777,size=64m sandbox-vartmp "$root/var/tmp"
mount -t tmpfs -o mode=0755,size=16m sandbox-run "$root/run"
mount -o loop,nodev,nosuid "$disk" "$root/home/sandbox"
chown "$uid:$gid" "$root/home/sandbox"
mkdir -p "$root$runtime"
mount --bind "$runtime" "$root$runtime"

mkdir "$root/.old-root"
cd "$root"
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
cd /

dockerd_args=()
for arg in "$@"; do
  case $arg in --cgroup=*) ;; *) dockerd_args+=("$arg") ;; esac
done

# setuid newuidmap must keep working (rootlesskit maps the user's subuid range with it), so the
# bounding set is left as it is; the engine's user owns no capability on the host.
exec setpriv --reuid "$uid" --regid "$gid" --clear-groups --inh-caps=-all \
  env -i HOME=/home/sandbox XDG_RUNTIME_DIR="$runtime" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
  DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--pidns \
  DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=true \
  /usr/share/docker.io/contrib/dockerd-rootless.sh "${dockerd_args[@]}"
