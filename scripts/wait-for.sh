# shellcheck shell=bash
# Sourced by scripts/docker-lab.sh and scripts/test-lab.sh, which both start daemons and wait for
# them to answer; each defines its own say().

# wait_for DESCRIPTION LOG SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds. After
# SECONDS, says what is not ready, shows the last lines of LOG and returns 1.
wait_for() {
  local what=$1 log=$2 seconds=$3 waited=0
  shift 3
  until "$@" >/dev/null 2>&1; do
    if [ "$waited" -ge $((seconds * 5)) ]; then
      say "$what not ready after ${seconds}s; last lines of $log:" >&2
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}
