#!/usr/bin/env bash
# Builds the Dockerfile's runtime stage on this machine, where no Docker engine runs and base images cannot be
# pulled: buildah (vfs storage) builds the stage's own instructions, unchanged but for two lines, on a stand-in for
# mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled assembled from Debian packages with the same contents
# (the C library, libgcc, libstdc++, OpenSSL, zlib, CA certificates, time zones; an "app" user 1654, no shell;
# empty /proc, /dev and /sys for the runtime's mounts).
# The two lines: FROM names the stand-in, and COPY --from=build takes the publish output from the build context.
#
# usage: tests/container/build-runtime-image.sh <docker/publish.sh output> <work directory>
# writes: <work>/rootfs (the image's root filesystem), <work>/config.json (its OCI config), and prints
#         "image_bytes=<uncompressed> image_gzip_bytes=<compressed> base_bytes=<stand-in base, uncompressed>".
# Needs root (buildah mount), buildah and jq; tests/run-all.sh installs them.
set -euo pipefail
publish="$(realpath "${1:?usage: build-runtime-image.sh <publish-dir> <work-dir>}")"
work="$(realpath -m "${2:?usage: build-runtime-image.sh <publish-dir> <work-dir>}")"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$work"
b() { buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run" "$@"; }

# 1. The stand-in base image.
base="$work/base"
rm -rf "$base" "$work/debs" && mkdir -p "$base" "$work/debs"
packages=(libc6 libgcc-s1 libstdc++6 libssl3 zlib1g ca-certificates tzdata)
(cd "$work/debs" && { apt-get download "${packages[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "${packages[@]}" >/dev/null; }; })
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$base"; done
# What maintainer scripts would have done: the CA bundle OpenSSL reads; the user chiseled images define.
mkdir -p "$base/etc/ssl/certs" "$base/home/app" "$base/tmp" "$base/proc" "$base/dev" "$base/sys"
cat "$base"/usr/share/ca-certificates/mozilla/*.crt >"$base/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654::/home/app:/sbin/nologin\n' >"$base/etc/passwd"
printf 'root:x:0:\napp:x:1654:\n' >"$base/etc/group"
chown 1654:1654 "$base/home/app"
chmod 1777 "$base/tmp"
# Libraries and data only, as chisel's slices of these packages: no executables, iconv modules or documentation.
rm -rf "$base"/usr/share/{doc,man,lintian,locale,bug,ca-certificates,i18n,gcc,gdb} "$base"/usr/sbin "$base"/usr/bin "$base"/sbin "$base"/bin \
  "$base"/usr/lib/x86_64-linux-gnu/gconv "$base"/usr/libexec "$base"/usr/lib/x86_64-linux-gnu/{audit,engines-3,ossl-modules}
base_bytes="$(du -sb "$base" | cut -f1)"
ctr="$(b from scratch)"
b copy "$ctr" "$base" / >/dev/null
b config --env APP_UID=1654 --env APP_GID=1654 "$ctr"
b commit --quiet "$ctr" localhost/runtime-deps-standin >/dev/null
b rm "$ctr" >/dev/null

# 2. The Dockerfile's runtime stage, on the stand-in, from the publish output.
sed -n '/^FROM .* AS runtime$/,$p' "$repo/Dockerfile" \
  | sed -E -e 's|^FROM .* AS runtime$|FROM localhost/runtime-deps-standin AS runtime|' \
           -e '/^COPY --from=build /{s|^COPY --from=build ||; s|/app/([^ ]+) |\1 |g; s|^|COPY |}' >"$work/Dockerfile.runtime"
grep -q '^COPY --from' "$work/Dockerfile.runtime" && { echo "a COPY --from is left in the runtime stage" >&2; exit 1; }
b bud --quiet --layers=false -f "$work/Dockerfile.runtime" -t localhost/entra-provisioning-exporter:test "$publish" >/dev/null
b inspect --type image localhost/entra-provisioning-exporter:test | jq '.OCIv1.config' >"$work/config.json"

# 3. Its root filesystem, as a container engine would unpack it.
ctr="$(b from localhost/entra-provisioning-exporter:test)"
mnt="$(b mount "$ctr")"
rm -rf "$work/rootfs" && mkdir -p "$work/rootfs" && cp -a "$mnt"/. "$work/rootfs"/
b umount "$ctr" >/dev/null && b rm "$ctr" >/dev/null
image_bytes="$(du -sb "$work/rootfs" | cut -f1)"
image_gzip_bytes="$(tar -C "$work/rootfs" -cf - . | gzip -6 | wc -c)"
echo "image_bytes=$image_bytes image_gzip_bytes=$image_gzip_bytes base_bytes=$base_bytes"
