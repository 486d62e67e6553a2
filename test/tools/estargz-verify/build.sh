#!/bin/sh
# Builds the estargz-verify test oracle against Debian's packaged
# stargz-snapshotter estargz library, in GOPATH mode so that no module is
# downloaded. Installs the Debian packages with apt-get when they are missing
# (that needs root).
#
# Output: $ESTARGZ_VERIFY_BIN, default test/tools/bin/estargz-verify in the
# repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out="${ESTARGZ_VERIFY_BIN:-$repo/test/tools/bin/estargz-verify}"

packages="golang-go golang-github-containerd-stargz-snapshotter-dev
golang-github-klauspost-compress-dev golang-github-opencontainers-go-digest-dev
golang-github-vbatts-tar-split-dev golang-golang-x-sync-dev"
missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed'; then
    missing="$missing $package"
  fi
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 # the package list is meant to split
  apt-get install -y -qq --no-install-recommends $missing
fi

export GO111MODULE=off
export GOPATH=/usr/share/gocode
export GOFLAGS=
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/estargz-verify-gocache}"
mkdir -p "$(dirname "$out")"
cd "$here"
go vet .
go build -trimpath -o "$out" .
echo "built $out with $(go version | cut -d' ' -f3) and" \
  "$(dpkg-query -W -f='${Package} ${Version}' golang-github-containerd-stargz-snapshotter-dev)"
