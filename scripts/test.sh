#!/usr/bin/env bash
# Runs every test of every module, each module on its own (GOWORK=off), after installing and
# starting what the tests need: PostgreSQL from Debian's packages for the store's second backend,
# and a Samba AD DC (scripts/samba-test.sh) for the directory tests.
# Usage: scripts/test.sh [go test flags...]   (e.g. scripts/test.sh -run Store -v)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: install ${need[*]} (Debian packages) first, or run as root" >&2
    exit 1
  fi
  echo "== installing ${need[*]}"
  if [ ! -f /tmp/.hybridkit-apt-updated ]; then
    apt-get update -qq && touch /tmp/.hybridkit-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cleanup=()
trap 'for c in "${cleanup[@]}"; do $c || true; done' EXIT
if [ -z "${HYBRIDKIT_TEST_POSTGRES_DSN:-}" ]; then
  scripts/postgres-test.sh start
  cleanup+=("scripts/postgres-test.sh stop")
  eval "$(scripts/postgres-test.sh env)"
fi
if [ -z "${HYBRIDKIT_TEST_LDAP_URL:-}" ]; then
  scripts/samba-test.sh start
  cleanup+=("scripts/samba-test.sh stop")
  eval "$(scripts/samba-test.sh env)"
fi

status=0
for dir in $(go list -m -f '{{.Dir}}'); do
  echo "== ${dir#"$root"/}"
  (cd "$dir" && GOWORK=off go test -count=1 "$@" ./...) || status=1
done
exit $status
