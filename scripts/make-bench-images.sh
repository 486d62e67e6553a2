#!/bin/bash
# Makes the benchmark images from Debian packages, into $BENCH_IMAGES
# (default /tmp/cc-bench-images), outside the repository:
#
#   bench.oci.tar           3 layers, about 217 MB uncompressed:
#                           1 debootstrap --variant=minbase rootfs
#                           2 perl, its modules and libicu72, unpacked with dpkg-deb -x
#                           3 an app layer: git-man, text and binary files, a changed
#                             /etc/hostname and three deletions (whiteouts)
#   bench-variant.oci.tar   layers 1 and 2 of bench, another top layer (python3.11)
#   bench-double.oci.tar    the 3 layers of bench plus a fourth of about 207 MB
#                           (gcc-12, g++-12 and their libraries), so about twice
#                           the size, for the memory check
#   layers/<hex>.tar        every layer uncompressed, named by its diffID, for the
#                           tools that read plain tar (casync, the estargz library)
#   images.json             what was made: per archive its layers and sizes
#
# Needs root (debootstrap), Debian's package mirror and the Debian packages
# debootstrap, umoci, skopeo, jq and pigz, which it installs with apt-get when
# they are missing. Takes three to five minutes on 2 cores. Each step is
# skipped when its output exists; delete $BENCH_IMAGES to start again.
#
# The comparison tools of the benchmark are installed by
#   apt-get install casync golang-go golang-github-containerd-stargz-snapshotter-dev
# (this script installs them too, unless BENCH_SKIP_TOOLS=1).
set -euo pipefail

OUT=${BENCH_IMAGES:-/tmp/cc-bench-images}
WORK=$OUT/work
LAYOUT=$WORK/oci
SUITE=bookworm
MIRROR=${BENCH_MIRROR:-http://deb.debian.org/debian}
CREATED=2025-05-20T00:00:00Z
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

LAYER2_DEBS="perl perl-modules-5.36 libperl5.36 libgdbm6 libgdbm-compat4 libicu72"
LAYER3_DEBS="git-man"
VARIANT_DEBS="python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib"
DOUBLE_DEBS="gcc-12 cpp-12 g++-12 libgcc-12-dev libstdc++-12-dev libasan8 libtsan2 binutils-x86-64-linux-gnu libbinutils"

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

install_missing() {
  local need="" package
  for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed' ||
      need="$need $package"
  done
  [ -z "$need" ] && return 0
  say "apt-get install$need"
  apt-get update -qq
  # shellcheck disable=SC2086 # the list is meant to split
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
}

# Downloads the .deb files of a list into $WORK/debs/NAME once.
download_debs() {
  local name=$1; shift
  local dir=$WORK/debs/$name
  [ -f "$dir/.complete" ] && return 0
  rm -rf "$dir"; mkdir -p "$dir"
  # apt downloads as the _apt user when it can write the folder.
  chown _apt "$dir" 2>/dev/null || true
  say "apt-get download $*"
  # A fresh machine has no package lists yet; fetch them once and try again.
  (cd "$dir" && apt-get download "$@" >/dev/null) ||
    { apt-get update -qq && (cd "$dir" && apt-get download "$@" >/dev/null); }
  touch "$dir/.complete"
}

# Unpacks every .deb of $WORK/debs/NAME into ROOT, as dpkg would place the files.
unpack_debs() {
  local name=$1 root=$2 deb
  for deb in "$WORK/debs/$name"/*.deb; do dpkg-deb -x "$deb" "$root"; done
}

# Deterministic incompressible bytes: prand SEED COUNT.
prand() {
  openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -in /dev/zero 2>/dev/null | head -c "$2" || true
}

set_config() {
  umoci config --image "$LAYOUT:$1" --no-history --created "$CREATED" \
    --author "make-bench-images.sh" --os linux --architecture amd64 \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.cmd /bin/bash
}

manifest_of() {
  jq -r --arg tag "$1" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' \
    "$LAYOUT/index.json"
}

has_tag() { umoci ls --layout "$LAYOUT" 2>/dev/null | grep -qx "$1"; }

# repack TAG FROM MESSAGE EDIT: a new image TAG of FROM plus one layer made by
# running the function EDIT on an unpacked copy of FROM's root.
repack() {
  local tag=$1 from=$2 message=$3 edit=$4 bundle=$WORK/bundle-$1
  has_tag "$tag" && return 0
  say "image $tag: $message"
  rm -rf "$bundle"
  umoci unpack --image "$LAYOUT:$from" "$bundle" >/dev/null
  "$edit" "$bundle/rootfs"
  umoci repack --image "$LAYOUT:$tag" --history.created "$CREATED" \
    --history.created_by "$message" "$bundle"
  set_config "$tag"
  rm -rf "$bundle"
}

edit_layer2() { unpack_debs layer2 "$1"; }

edit_layer3() {
  local root=$1
  unpack_debs layer3 "$root"
  mkdir -p "$root/app/data"
  printf '#!/bin/sh\necho "bench app on $(cat /etc/hostname)"\n' > "$root/app/run.sh"
  chmod 755 "$root/app/run.sh"
  prand bench-app 6291456 > "$root/app/data/random.bin"
  seq 1 200000 > "$root/app/data/numbers.txt"
  ln "$root/app/data/numbers.txt" "$root/app/data/numbers-link.txt"
  ln -s ../run.sh "$root/app/data/run.sh"
  echo bench-app > "$root/etc/hostname"
  rm -f "$root/etc/motd"
  rm -rf "$root/usr/share/zoneinfo/right" "$root/usr/share/doc/gzip"
}

edit_variant() {
  local root=$1
  unpack_debs variant "$root"
  mkdir -p "$root/srv/variant"
  prand bench-variant 4194304 > "$root/srv/variant/blob.bin"
  seq 1 100000 | sed 's/^/line /' > "$root/srv/variant/lines.txt"
  echo bench-variant > "$root/etc/hostname"
  rm -f "$root/usr/bin/less"
}

edit_double() { unpack_debs double "$1"; }

step_tools() {
  install_missing debootstrap umoci skopeo jq pigz openssl
  if [ "${BENCH_SKIP_TOOLS:-0}" != 1 ]; then
    install_missing casync golang-go golang-github-containerd-stargz-snapshotter-dev \
      golang-github-klauspost-compress-dev golang-github-opencontainers-go-digest-dev \
      golang-github-vbatts-tar-split-dev golang-golang-x-sync-dev
  fi
}

step_rootfs() {
  local root=$WORK/rootfs
  [ -f "$root.complete" ] && return 0
  rm -rf "$root"; mkdir -p "$WORK/debootstrap-cache"
  say "debootstrap --variant=minbase $SUITE $MIRROR"
  debootstrap --variant=minbase --arch=amd64 --cache-dir="$WORK/debootstrap-cache" \
    "$SUITE" "$root" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; return 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  touch "$root.complete"
}

step_images() {
  download_debs layer2 $LAYER2_DEBS
  download_debs layer3 $LAYER3_DEBS
  download_debs variant $VARIANT_DEBS
  download_debs double $DOUBLE_DEBS
  [ -f "$LAYOUT/index.json" ] || umoci init --layout "$LAYOUT"
  if ! has_tag base; then
    say "image base: debootstrap rootfs"
    umoci new --image "$LAYOUT:base"
    set_config base
    umoci insert --image "$LAYOUT:base" --history.created "$CREATED" \
      --history.created_by "debootstrap --variant=minbase $SUITE" "$WORK/rootfs" /
  fi
  repack with-perl base "dpkg-deb -x $LAYER2_DEBS" edit_layer2
  repack bench with-perl "dpkg-deb -x $LAYER3_DEBS; add /app; rm /etc/motd" edit_layer3
  repack bench-variant with-perl "dpkg-deb -x $VARIANT_DEBS; add /srv/variant" edit_variant
  repack bench-double bench "dpkg-deb -x $DOUBLE_DEBS" edit_double
  umoci gc --layout "$LAYOUT"
}

step_export() {
  local tag
  for tag in bench bench-variant bench-double; do
    local archive=$OUT/$tag.oci.tar
    [ -s "$archive" ] && continue
    say "skopeo copy oci:$tag -> $(basename "$archive")"
    skopeo copy -q "oci:$LAYOUT:$tag" "oci-archive:$archive.partial:$tag"
    mv "$archive.partial" "$archive"
  done
}

# Uncompressed layers, named by diffID, from the double image (a superset of
# bench) and the variant.
step_layers() {
  mkdir -p "$OUT/layers"
  local tag manifest config i digest diffid
  for tag in bench-double bench-variant; do
    manifest=$(manifest_of "$tag")
    config=$(jq -r '.config.digest' "$LAYOUT/blobs/sha256/${manifest#sha256:}")
    i=0
    for digest in $(jq -r '.layers[].digest' "$LAYOUT/blobs/sha256/${manifest#sha256:}"); do
      diffid=$(jq -r --argjson i "$i" '.rootfs.diff_ids[$i]' "$LAYOUT/blobs/sha256/${config#sha256:}")
      local out=$OUT/layers/${diffid#sha256:}.tar
      if [ ! -s "$out" ]; then
        say "layer $diffid"
        pigz -dc < "$LAYOUT/blobs/sha256/${digest#sha256:}" > "$out.partial"
        [ "sha256:$(sha256sum < "$out.partial" | cut -c1-64)" = "$diffid" ] ||
          { echo "layer $digest does not match diffID $diffid" >&2; return 1; }
        mv "$out.partial" "$out"
      fi
      i=$((i + 1))
    done
  done
}

step_summary() {
  local tag first=1
  {
    echo '{'
    for tag in bench bench-variant bench-double; do
      local manifest config
      manifest=$(manifest_of "$tag")
      config=$(jq -r '.config.digest' "$LAYOUT/blobs/sha256/${manifest#sha256:}")
      [ $first = 1 ] || echo ','
      first=0
      printf '"%s": {"archive": "%s.oci.tar", "layers": ' "$tag" "$tag"
      jq -c --slurpfile config "$LAYOUT/blobs/sha256/${config#sha256:}" \
        '[.layers | to_entries[] | {digest: .value.digest, size: .value.size, diffID: $config[0].rootfs.diff_ids[.key]}]' \
        "$LAYOUT/blobs/sha256/${manifest#sha256:}"
      printf '}'
    done
    echo '}'
  } | jq . > "$OUT/images.json.partial"
  local layer
  for layer in $(jq -r '.[].layers[].diffID' "$OUT/images.json.partial" | sort -u); do
    printf '%s %s\n' "$layer" "$(stat -c %s "$OUT/layers/${layer#sha256:}.tar")"
  done > "$WORK/layer-sizes.txt"
  mv "$OUT/images.json.partial" "$OUT/images.json"
  say "made $(ls "$OUT"/*.oci.tar | wc -l) archives in $OUT:"
  du -h "$OUT"/*.oci.tar >&2
  awk '{ total += $2 } END { printf "uncompressed layers: %.1f MB in total\n", total / 1e6 }' \
    "$WORK/layer-sizes.txt" >&2
}

mkdir -p "$OUT" "$WORK"
for step in tools rootfs images export layers summary; do
  "step_$step"
done
