#!/usr/bin/env bash
# Debian's redis-server for the tests of the shared rate limit (REDIS_URL).
#
#   scripts/redis-lab.sh   install it if missing (as root, with apt-get); otherwise only check
#
# It installs and never starts one: each test starts its own redis-server on a free port, so that it
# can stop it mid-test to see the service go on without Redis, and no shared server is left behind.
set -euo pipefail

say() { echo "redis-lab: $*"; }

if command -v redis-server >/dev/null 2>&1; then
  say "$(redis-server --version | cut -d' ' -f1-3) already installed"
  exit 0
fi
if [ "$EUID" -ne 0 ]; then
  say "redis-server is missing and installing it needs root: sudo apt-get install redis-server" >&2
  exit 1
fi
say "installing Debian's redis-server with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
say "installed $(redis-server --version | cut -d' ' -f1-3)"
