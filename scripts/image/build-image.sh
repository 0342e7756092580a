#!/usr/bin/env bash
# Builds Hekim's image for real with Debian's podman/buildah, from the repository root's build
# context (exactly what .dockerignore leaves) and the Dockerfile, on a base built locally by
# scripts/image/build-base.sh when no container registry is reachable. Then starts it once to
# show that the image's Node.js and operations commands run. Usage, as root (docs/deployment.md):
#
#   scripts/image/build-base.sh && scripts/image/build-image.sh   # → localhost/hekim:dev
#
# Environment: NODE_IMAGE (the base, default the locally built one), TAG, PODMAN_FLAGS. The
# docker format keeps the HEALTHCHECK (the OCI format has none).
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_IMAGE=${NODE_IMAGE:-localhost/hekim-node:26-trixie-slim}
TAG=${TAG:-localhost/hekim:dev}
# Where the host runs in a container itself (cgroups v1/hybrid, no CAP_SYS_RESOURCE): runc
# rather than crun (crun refuses hybrid cgroups), cgroupfs (no systemd), and resource limits no
# higher than the host's hard limits (podman's defaults are higher and cannot be set here).
PODMAN=(podman ${PODMAN_FLAGS:---runtime=runc --cgroup-manager=cgroupfs})
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
# npm inside the build must trust what the host trusts (a TLS-inspecting proxy's CA, say):
# the host's CA bundle, and an npmrc that points npm at it (Node.js uses its own CA list
# otherwise), are mounted into the RUN steps only, never copied into a layer.
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
npmrc=$(mktemp)
trap 'rm -f "$npmrc"' EXIT
echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$npmrc"
chmod 644 "$npmrc"

"${PODMAN[@]}" build "${LIMITS[@]}" \
  --build-arg "NODE_IMAGE=${NODE_IMAGE}" \
  --volume "${CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro" \
  --volume "${npmrc}:/usr/local/etc/npmrc:ro" \
  --format docker \
  --tag "$TAG" .

run() { "${PODMAN[@]}" run --rm "${LIMITS[@]}" --read-only --tmpfs /tmp "$TAG" "$@"; }
run node --version
run node -e "require('fs').accessSync('dist/scripts/keys-rotate.js'); console.log('dist/scripts/keys-rotate.js is there')"
# Without DATABASE_URL the operations command exits 78 (unusable configuration) and says why.
set +e
run node dist/scripts/keys-rotate.js
echo "keys-rotate without a database: exit $?"
set -e
"${PODMAN[@]}" image ls "$TAG"
