#!/usr/bin/env bash
# Runs Debian's docker-registry in the foreground on a loopback address, with
# a temporary storage directory that is removed on exit, for trying the app's
# push page by hand. No auth; the app's routes allow loopback registries by
# default.
#   LOCAL_REGISTRY_ADDR  listen address, default 127.0.0.1:5000 (loopback only)
# (docker-registry reads REGISTRY_* variables as config, hence the prefix.)
set -euo pipefail
addr=${LOCAL_REGISTRY_ADDR:-127.0.0.1:5000}
case "$addr" in
  127.*:* | localhost:* | \[::1\]:*) ;;
  *) echo "serve-local: $addr is not a loopback address" >&2; exit 2 ;;
esac
binary=/usr/bin/docker-registry
[ -x "$binary" ] || { echo "serve-local: $binary is missing; apt-get install docker-registry" >&2; exit 1; }

dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cat > "$dir/config.yml" <<YML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
YML
echo "serve-local: registry on http://$addr (storage $dir/data); Ctrl-C stops it" >&2
"$binary" serve "$dir/config.yml" &
pid=$!
wait "$pid"
