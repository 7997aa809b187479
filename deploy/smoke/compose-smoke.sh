#!/usr/bin/env bash
# The compose deployment, for real: docker-compose.yml brought up on the local Docker engine with the
# images the build made, used as an operator would from the host, then taken down and up again.
#
#   deploy/smoke/compose-smoke.sh [--keep]
#
# Needs: a running Docker engine, docker compose (v2 plugin) or docker-compose (Debian's 1.29), curl,
# jq, qemu-img, and the images: bootswarm/<service>:<version> (./mvnw -Pimages -DskipTests package),
# and, where no registry is reachable, PostgreSQL and Kafka images named by BOOTSWARM_POSTGRES_IMAGE /
# BOOTSWARM_KAFKA_IMAGE (deploy/images/build-local-images.sh builds bootswarm/postgres-local and
# bootswarm/kafka-local and this script uses them when they exist).
#
# Checks, each failing the run: every container healthy; a generated 256 MiB image with zero regions
# uploaded through the seed's published port; launched through the tracker on agent-1, then on agent-2;
# each read with qemu-img convert from the agent's NBD port published on the host's loopback, SHA-256
# equal to the original; agent-2 got pieces from agent-1 (its per-source counters); after
# `down` and `up` the catalog, the launches and both agents' verified pieces are still there (nothing
# fetched again) and the images read back the same.
set -euo pipefail
cd "$(dirname "$0")/../.."

keep=false
[ "${1-}" = "--keep" ] && keep=true

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | sed -n 2p)
export BOOTSWARM_VERSION="${BOOTSWARM_VERSION:-$version}"
if [ -z "${BOOTSWARM_POSTGRES_IMAGE-}" ] && docker image inspect "bootswarm/postgres-local:$version" >/dev/null 2>&1; then
  export BOOTSWARM_POSTGRES_IMAGE="bootswarm/postgres-local:$version"
fi
if [ -z "${BOOTSWARM_KAFKA_IMAGE-}" ] && docker image inspect "bootswarm/kafka-local:$version" >/dev/null 2>&1; then
  export BOOTSWARM_KAFKA_IMAGE="bootswarm/kafka-local:$version"
fi
export BOOTSWARM_DB_PASSWORD="${BOOTSWARM_DB_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
project=bootswarm-smoke
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose -p "$project" -f docker-compose.yml)
else
  compose=(docker-compose -p "$project" -f docker-compose.yml)
fi

work=$(mktemp -d /tmp/bootswarm-smoke.XXXXXX)
t_start=$(date +%s)
log() { printf '[smoke %4ss] %s\n' "$(( $(date +%s) - t_start ))" "$*" >&2; }
fail() {
  log "FAILED: $*"
  {
    "${compose[@]}" ps || true
    for s in tracker seed profile allocator agent-1 agent-2 kafka postgres; do
      echo "---- logs of $s (last 60 lines)"
      "${compose[@]}" logs --no-color --tail=60 "$s" 2>&1 || true
    done
  } >&2
  exit 1
}
probe() { curl -sf "$1" >/dev/null; }
cleanup() {
  if ! $keep; then
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

api() { # METHOD URL [curl args...]: the body of a 2xx answer, or a failed run
  local method=$1 url=$2
  shift 2
  local out code
  out=$(curl -sS -X "$method" -w '\n%{http_code}' "$@" "$url") || fail "$method $url: no answer"
  code=${out##*$'\n'}
  [ "${code:0:1}" = 2 ] || fail "$method $url answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}

await_healthy() {
  local deadline=$(( $(date +%s) + 600 ))
  while :; do
    local unhealthy=()
    for s in postgres kafka tracker seed profile allocator agent-1 agent-2; do
      local id status
      id=$("${compose[@]}" ps -q "$s")
      status=$( [ -n "$id" ] && docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" || echo missing)
      [ "$status" = healthy ] || unhealthy+=("$s:$status")
    done
    [ ${#unhealthy[@]} -eq 0 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || fail "not healthy after 600 s: ${unhealthy[*]}"
    sleep 2
  done
}

await() { # DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds
  local what=$1 secs=$2
  shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not within $secs s"
    sleep 1
  done
}

host_up() { curl -sf http://127.0.0.1:8080/api/v1/hosts | jq -e --arg h "$1" 'any(.[]; .name == $h and .state == "UP")'; }
launch_ready() { curl -sf "http://127.0.0.1:8080/api/v1/launches/$1" | jq -e 'all(.hosts[]; .state == "READY" and .nbdUri != null)'; }

launch_on() { # HOST: launches the image on HOST through the tracker, waits for READY, prints "id uri"
  local launch id uri
  launch=$(api POST http://127.0.0.1:8080/api/v1/launches -H 'Content-Type: application/json' \
    -d "{\"imageId\":\"$image_id\",\"hosts\":[\"$1\"]}")
  id=$(jq -r .id <<<"$launch")
  await "launch $id READY on $1" 120 launch_ready "$id"
  uri=$(api GET "http://127.0.0.1:8080/api/v1/launches/$id" | jq -r '.hosts[0].nbdUri')
  echo "$id $uri"
}

read_and_compare() { # URI NAME
  qemu-img convert -f raw -O raw "$1" "$work/$2.img" || fail "qemu-img convert $1"
  local got
  got=$(sha256sum "$work/$2.img" | cut -d' ' -f1)
  [ "$got" = "$original_sha" ] || fail "$2: SHA-256 $got over $1, original $original_sha"
  rm -f "$work/$2.img"
  log "$2: qemu-img convert $1 -> SHA-256 equal to the original"
}

log "images: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^bootswarm/' | tr '\n' ' ')"
log "postgres image ${BOOTSWARM_POSTGRES_IMAGE:-postgres:17}, kafka image ${BOOTSWARM_KAFKA_IMAGE:-apache/kafka:4.1.1}"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
t_up=$(date +%s)
"${compose[@]}" up -d || fail "compose up"
await_healthy
log "all 8 containers healthy $(( $(date +%s) - t_up )) s after compose up"

# a 256 MiB image with zero regions: every fourth MiB zero, the rest random
for i in $(seq 0 255); do
  if [ $(( i % 4 )) -eq 3 ]; then head -c 1048576 /dev/zero; else head -c 1048576 /dev/urandom; fi
done > "$work/original.img"
original_sha=$(sha256sum "$work/original.img" | cut -d' ' -f1)

image=$(api POST 'http://127.0.0.1:8081/api/v1/images?name=smoke' -H 'Content-Type: application/octet-stream' \
  --data-binary @"$work/original.img")
image_id=$(jq -r .id <<<"$image")
log "uploaded image $image_id: $(jq -r '"\(.size) bytes, \(.pieceCount) pieces, \(.zeroPieces) zero"' <<<"$image")"
[ "$(jq -r .size <<<"$image")" = 268435456 ] || fail "image size $(jq -r .size <<<"$image")"

await "agent-1 UP" 120 host_up agent-1
await "agent-2 UP" 120 host_up agent-2

read -r launch1 uri1 < <(launch_on agent-1)
[[ "$uri1" == nbd://127.0.0.1:10809/* ]] || fail "agent-1 advertises $uri1, not its published port"
read_and_compare "$uri1" agent-1
read -r launch2 uri2 < <(launch_on agent-2)
[[ "$uri2" == nbd://127.0.0.1:10810/* ]] || fail "agent-2 advertises $uri2, not its published port"
read_and_compare "$uri2" agent-2

disk1=$(api GET "http://127.0.0.1:8082/api/v1/disks/$launch1")
disk2=$(api GET "http://127.0.0.1:8092/api/v1/disks/$launch2")
total=$(jq -r .piecesTotal <<<"$disk2")
from_agents=$(jq -r '.piecesFetched - .piecesFromSeed' <<<"$disk2")
log "agent-1 fetched $(jq -r .piecesFetched <<<"$disk1") pieces ($(jq -r .piecesFromSeed <<<"$disk1") from the seed);" \
  "agent-2 fetched $(jq -r .piecesFetched <<<"$disk2") ($(jq -r .piecesFromSeed <<<"$disk2") from the seed), by peer: $(jq -c .piecesByPeer <<<"$disk2")"
[ "$from_agents" -gt 0 ] || fail "agent-2 got no piece from agent-1"
jq -e '.piecesByPeer | to_entries | any(.key | endswith(":6882"))' <<<"$disk2" >/dev/null \
  || fail "agent-2's per-source counters name no agent peer (port 6882)"
for d in "$disk1" "$disk2"; do
  [ "$(jq -r .piecesPresent <<<"$d")" = "$total" ] || fail "disk not complete after a full read: $d"
done

log "compose down (volumes kept) and up again"
t_down=$(date +%s)
"${compose[@]}" down || fail "compose down"
"${compose[@]}" up -d || fail "compose up (again)"
await_healthy
log "healthy again $(( $(date +%s) - t_down )) s after compose down"

api GET "http://127.0.0.1:8081/api/v1/images/$image_id" | jq -e --arg s 268435456 '.size == ($s | tonumber)' >/dev/null \
  || fail "image $image_id not in the catalog after the restart"
for l in "$launch1" "$launch2"; do
  api GET "http://127.0.0.1:8080/api/v1/launches/$l" >/dev/null
done
await "agent-1 has disk $launch1 again" 120 probe "http://127.0.0.1:8082/api/v1/disks/$launch1"
await "agent-2 has disk $launch2 again" 120 probe "http://127.0.0.1:8092/api/v1/disks/$launch2"
for pair in "8082 $launch1 $uri1 agent-1" "8092 $launch2 $uri2 agent-2"; do
  read -r port id uri name <<<"$pair"
  d=$(api GET "http://127.0.0.1:$port/api/v1/disks/$id")
  [ "$(jq -r .piecesPresent <<<"$d")" = "$total" ] || fail "$name kept $(jq -r .piecesPresent <<<"$d") of $total pieces"
  read_and_compare "$uri" "$name-after-restart"
  d=$(api GET "http://127.0.0.1:$port/api/v1/disks/$id")
  [ "$(jq -r .piecesFetched <<<"$d")" = 0 ] || fail "$name fetched $(jq -r .piecesFetched <<<"$d") pieces again"
done
log "after down/up: catalog, both launches and all $total verified pieces on each agent kept; nothing fetched again"
log "compose smoke test passed in $(( $(date +%s) - t_start )) s"
