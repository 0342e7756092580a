#!/usr/bin/env bash
# Runs an image built by scripts/image/build-image.sh the way the chart does, against a real
# PostgreSQL and Redis on this host: the migration Job's command, then the image's own
# ENTRYPOINT/CMD (tini, node dist/src/main.js) as uid 1000 on a read-only root file system,
# /health/ready, the operations command docs/operations.md runs with `kubectl exec`, and a
# SIGTERM drain. Usage, as root (docs/deployment.md):
#
#   DATABASE_URL=postgres://root@127.0.0.1:5432/hekim_image REDIS_URL=redis://127.0.0.1:6379 \
#     scripts/image/run-image.sh
#
# The database must exist and may be empty. Secrets are generated for this run only.
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG=${TAG:-localhost/hekim:dev}
PORT=${PORT:-3900}
: "${DATABASE_URL:?set DATABASE_URL (an existing, possibly empty database)}"
: "${REDIS_URL:?set REDIS_URL}"
PODMAN=(podman ${PODMAN_FLAGS:---runtime=runc --cgroup-manager=cgroupfs})
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

envfile=$(mktemp)
name="hekim-image-$$"
cleanup() {
  "${PODMAN[@]}" rm -f "$name" >/dev/null 2>&1 || true
  rm -f "$envfile"
}
trap cleanup EXIT
chmod 600 "$envfile"
node -e '
  const { randomBytes, generateKeyPairSync } = require("node:crypto");
  const key = generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" });
  const b64 = (n) => randomBytes(n).toString("base64");
  console.log([
    `JWT_SECRET=${randomBytes(48).toString("base64url")}`,
    `TURN_SECRET=${randomBytes(32).toString("base64url")}`,
    `AUDIT_SIGNING_KEY=${key.toString("base64")}`,
    `DATA_ENCRYPTION_KEY=${b64(32)}`,
    `PATIENT_DATA_MASTER_KEY=image-run:${b64(32)}`,
    `PATIENT_DATA_INDEX_KEY=${b64(32)}`,
    `ADMIN_PASSWORD=${randomBytes(18).toString("base64url")}`,
  ].join("\n"));
' >"$envfile"
common=("${LIMITS[@]}" --network host --read-only --tmpfs /tmp --user 1000:1000
  --env-file "$envfile" -e "DATABASE_URL=$DATABASE_URL" -e "REDIS_URL=$REDIS_URL"
  -e ADMIN_EMAIL=admin@hospital.example -e "REDIS_KEY_PREFIX=hekim-image-$$:"
  -e HOST=127.0.0.1 -e "PORT=$PORT" -e DATABASE_MIGRATIONS_RUN=false -e METRICS_ENABLED=true)

echo "== migration Job: node dist/src/migrate.js"
"${PODMAN[@]}" run --rm "${common[@]}" "$TAG" node dist/src/migrate.js

echo "== the image's ENTRYPOINT and CMD"
"${PODMAN[@]}" run -d --name "$name" "${common[@]}" "$TAG" >/dev/null
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/health/ready"
echo
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^hekim_dependency_up'
# The image's HEALTHCHECK, run once by hand: podman schedules it with systemd timers, which a
# host without systemd lacks (podman logs "unable to get systemd connection" and goes on).
"${PODMAN[@]}" healthcheck run "$name" && echo "HEALTHCHECK: healthy"

echo "== kubectl exec deploy/hekim -- node dist/scripts/keys-rotate.js"
"${PODMAN[@]}" exec "$name" node dist/scripts/keys-rotate.js

echo "== SIGTERM: drains and exits 0"
"${PODMAN[@]}" stop --time 60 "$name" >/dev/null
"${PODMAN[@]}" logs "$name" 2>&1 | tail -n 2
echo "exit code: $("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$name")"
