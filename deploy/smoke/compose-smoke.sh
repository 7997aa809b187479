#!/usr/bin/env bash
# The compose deployment, for real: docker-compose.yml brought up on the local Docker engine with the
# images the build made, used as an operator would from the host, then taken down and up again.
#
#   deploy/smoke/compose-smoke.sh [--keep]
#
# Needs: a running Docker engine, docker compose (v2 plugin) or docker-compose (Debian's 1.29), curl,
# jq, qemu-img, nbdinfo (libnbd-bin), and the images: bootswarm/<service>:<version> and
# bootswarm/auth-local:<version> (./mvnw -Pimages -DskipTests package),
# and, where no registry is reachable, PostgreSQL and Kafka images named by BOOTSWARM_POSTGRES_IMAGE /
# BOOTSWARM_KAFKA_IMAGE (deploy/images/build-local-images.sh builds bootswarm/postgres-local and
# bootswarm/kafka-local and this script uses them when they exist).
#
# Checks, each failing the run: the one-shot init service succeeded and every container is healthy;
# tokens from the compose deployment's authorization server (client credentials of the admin,
# orchestrator and viewer clients, secrets read from its volume): a call without a token is refused
# with 401 on each service, a forged token (signed by another key) with 401, a viewer's upload and
# launch, an orchestrator's upload and agent-1's token heartbeating for agent-2 with 403; a generated 256 MiB image with zero regions uploaded as admin through the seed's
# published port; launched as orchestrator through the tracker on agent-1, then on agent-2; each
# export handed out as nbds:// and read over NBD TLS with qemu-img convert (the CA copied out of the
# agent's volume) from the agent's NBD port published on the host's loopback, SHA-256 equal to the
# original; plain nbd:// and TLS without the deployment's CA refused; agent-2 got pieces from agent-1
# (its per-source counters); Kafka (SASL/SCRAM and ACLs, deploy/compose/kafka-acls.txt): the one-shot
# kafka-setup succeeded, the broker holds the 32 ACLs, an anonymous client and node-agent with a wrong
# password are refused, node-agent with agent-1's password sees only its four topics and may not write
# the allocation plans (TopicAuthorizationException); after `down` and `up` the catalog, the launches and both agents'
# verified pieces are still there (nothing fetched again), new tokens are issued with the kept
# secrets, and the images read back the same.
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
    for s in init auth tracker seed profile allocator agent-1 agent-2 kafka postgres; do
      echo "---- logs of $s (last 60 lines)"
      "${compose[@]}" logs --no-color --tail=60 "$s" 2>&1 || true
    done
  } >&2
  exit 1
}
probe() { curl -sf -H "Authorization: Bearer $2" "$1" >/dev/null; }
cleanup() {
  if ! $keep; then
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

api() { # METHOD URL TOKEN [curl args...]: the body of a 2xx answer, or a failed run
  local method=$1 url=$2 token=$3
  shift 3
  local out code
  out=$(curl -sS -X "$method" -H "Authorization: Bearer $token" -w '\n%{http_code}' "$@" "$url") \
    || fail "$method $url: no answer"
  code=${out##*$'\n'}
  [ "${code:0:1}" = 2 ] || fail "$method $url answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}

status_of() { # METHOD URL [curl args...]: the HTTP status only
  local method=$1 url=$2
  shift 2
  curl -s -o /dev/null -X "$method" -w '%{http_code}' "$@" "$url" || true
}

expect_status() { # WANT WHAT METHOD URL [curl args...]
  local want=$1 what=$2
  shift 2
  local got
  got=$(status_of "$@")
  [ "$got" = "$want" ] || fail "$what: $1 $2 answered $got, expected $want"
}

# --- tokens from the deployment's authorization server (client credentials) -----------------------
secret_of() { # CLIENT ID: its secret, from the authorization server's clients.json (read by get_tokens)
  jq -er --arg id "$1" '.clients[] | select(.id == $id) | .secret' <<<"$clients"
}
token_of() { # CLIENT ID: a fresh access token
  local secret out
  secret=$(secret_of "$1") || fail "no client $1 in the authorization server's clients.json"
  out=$(curl -sS -u "$1:$secret" -d grant_type=client_credentials http://127.0.0.1:9000/oauth2/token) \
    || fail "token request of $1: no answer"
  jq -er .access_token <<<"$out" || fail "token request of $1: $out"
}
get_tokens() {
  clients=$("${compose[@]}" exec -T auth cat /var/lib/bootswarm/auth/clients.json) \
    || fail "cannot read the authorization server's clients.json"
  admin=$(token_of admin)
  orchestrator=$(token_of orchestrator)
  viewer=$(token_of viewer)
  log "tokens of admin, orchestrator and viewer (roles $(jwt_claims "$admin" | jq -c .roles)," \
    "$(jwt_claims "$orchestrator" | jq -c .roles), $(jwt_claims "$viewer" | jq -c .roles); issuer $(jwt_claims "$admin" | jq -r .iss))"
}
jwt_claims() { # TOKEN: its claims (not verified: only to show them)
  local p
  p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
  while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
  base64 -d <<<"$p"
}

await_healthy() {
  local deadline=$(( $(date +%s) + 600 ))
  while :; do
    local unhealthy=()
    for s in postgres kafka auth tracker seed profile allocator agent-1 agent-2; do
      local id status
      id=$("${compose[@]}" ps -q "$s")
      status=$( [ -n "$id" ] && docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" || echo missing)
      [ "$status" = healthy ] || unhealthy+=("$s:$status")
    done
    if [ ${#unhealthy[@]} -eq 0 ]; then
      local one_shot exit_code
      for one_shot in init kafka-setup; do
        exit_code=$(docker inspect --format '{{.State.ExitCode}}' "$("${compose[@]}" ps -q "$one_shot")")
        [ "$exit_code" = 0 ] || fail "the $one_shot service exited with $exit_code"
      done
      return 0
    fi
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

host_up() {
  curl -sf -H "Authorization: Bearer $viewer" http://127.0.0.1:8080/api/v1/hosts \
    | jq -e --arg h "$1" 'any(.[]; .name == $h and .state == "UP")'
}
launch_ready() {
  curl -sf -H "Authorization: Bearer $viewer" "http://127.0.0.1:8080/api/v1/launches/$1" \
    | jq -e 'all(.hosts[]; .state == "READY" and .nbdUri != null)'
}

launch_on() { # HOST: launches the image on HOST through the tracker, waits for READY, prints "id uri"
  local launch id uri
  launch=$(api POST http://127.0.0.1:8080/api/v1/launches "$orchestrator" -H 'Content-Type: application/json' \
    -d "{\"imageId\":\"$image_id\",\"hosts\":[\"$1\"]}")
  id=$(jq -r .id <<<"$launch")
  await "launch $id READY on $1" 120 launch_ready "$id"
  uri=$(api GET "http://127.0.0.1:8080/api/v1/launches/$id" "$viewer" | jq -r '.hosts[0].nbdUri')
  echo "$id $uri"
}

# nbds://HOST:PORT/EXPORT -> "HOST PORT EXPORT"
nbd_parts() { sed -E 's|^nbds?://([^:/]+):([0-9]+)/(.*)$|\1 \2 \3|' <<<"$1"; }

read_and_compare() { # NBDS-URI NAME: qemu-img over TLS, trusting the deployment's CA ($pki/ca-cert.pem)
  local host port export got
  read -r host port export < <(nbd_parts "$1")
  qemu-img convert --object "tls-creds-x509,id=tls0,dir=$pki,endpoint=client" \
    --image-opts "driver=nbd,host=$host,port=$port,export=$export,tls-creds=tls0" -O raw "$work/$2.img" \
    || fail "qemu-img convert over TLS from $1"
  got=$(sha256sum "$work/$2.img" | cut -d' ' -f1)
  [ "$got" = "$original_sha" ] || fail "$2: SHA-256 $got over $1, original $original_sha"
  rm -f "$work/$2.img"
  log "$2: qemu-img convert over TLS from $1 -> SHA-256 equal to the original"
}

refused_without_tls() { # NBDS-URI: plain NBD, and TLS trusting other CAs, get nothing
  local plain=${1/#nbds:/nbd:} out
  if out=$(nbdinfo --size "$plain" 2>&1); then fail "plain $plain answered: $out"; fi
  log "plain $plain refused: $(tail -1 <<<"$out")"
  if out=$(nbdinfo --size "$1?tls-certificates=$work/other-ca" 2>&1); then fail "$1 trusting another CA answered: $out"; fi
  log "$1 trusting another CA refused: $(tail -1 <<<"$out")"
  out=$(nbdinfo --size "$1?tls-certificates=$pki" 2>&1) || fail "nbdinfo over TLS: $out"
  [ "$out" = 268435456 ] || fail "nbdinfo over TLS: size $out"
}

security_checks() {
  local url
  for url in http://127.0.0.1:8080/api/v1/hosts http://127.0.0.1:8081/api/v1/images \
             http://127.0.0.1:8083/api/v1/profiles http://127.0.0.1:8084/api/v1/plans \
             http://127.0.0.1:8082/api/v1/disks http://127.0.0.1:8092/api/v1/disks; do
    expect_status 401 "without a token" GET "$url"
  done
  # a well-formed token signed by a key of nobody's: header {"alg":"RS256"}, claims of an admin
  local forged
  forged="$(printf '{"alg":"RS256","typ":"JWT"}' | base64 -w0 | tr '+/' '-_' | tr -d =).$(printf \
    '{"iss":"http://auth:9000","sub":"admin","roles":["admin"],"exp":4102444800}' | base64 -w0 | tr '+/' '-_' | tr -d =).c2lnbmF0dXJl"
  expect_status 401 "a forged token" GET http://127.0.0.1:8080/api/v1/hosts -H "Authorization: Bearer $forged"
  expect_status 200 "the viewer reading hosts" GET http://127.0.0.1:8080/api/v1/hosts -H "Authorization: Bearer $viewer"
  expect_status 403 "the viewer uploading" POST 'http://127.0.0.1:8081/api/v1/images?name=not-allowed' \
    -H "Authorization: Bearer $viewer" -H 'Content-Type: application/octet-stream' --data-binary 'x'
  expect_status 403 "the viewer launching" POST http://127.0.0.1:8080/api/v1/launches \
    -H "Authorization: Bearer $viewer" -H 'Content-Type: application/json' -d '{"imageId":"x","hosts":["agent-1"]}'
  expect_status 403 "the orchestrator uploading" POST 'http://127.0.0.1:8081/api/v1/images?name=not-allowed' \
    -H "Authorization: Bearer $orchestrator" -H 'Content-Type: application/octet-stream' --data-binary 'x'
  log "401 without a token (every service) and with a forged one; 403 for a viewer's upload and launch and" \
    "an orchestrator's upload"
}

# --- Kafka: SASL and ACLs ------------------------------------------------------------------------
kafka_client() { # CONFIG-LINES COMMAND: COMMAND (bash) in the kafka container, with /tmp/client.properties
  # made of CONFIG-LINES (given on stdin, so that no password is on a command line); its output, and its status
  "${compose[@]}" exec -T kafka bash -c "cat > /tmp/client.properties && { $2; }; rc=\$?; rm -f /tmp/client.properties; exit \$rc" <<<"$1" 2>&1
}
kafka_tool() { echo "timeout 90 bash /etc/bootswarm/kafka.sh tool $* --bootstrap-server localhost:9092"; }
scram_config() { # USER PASSWORD
  printf '%s\n' security.protocol=SASL_PLAINTEXT sasl.mechanism=SCRAM-SHA-512 \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$2\";" \
    default.api.timeout.ms=10000 request.timeout.ms=5000 max.block.ms=10000
}
kafka_checks() {
  local out agent_password topics
  # as the admin: the topics of deploy/compose/kafka-acls.txt and its 29 ACLs
  out=$(kafka_client "$("${compose[@]}" exec -T kafka cat /run/bootswarm/kafka/admin.properties)" \
    "$(kafka_tool kafka-acls --command-config /tmp/client.properties --list)") || fail "kafka-acls --list as admin: $out"
  [ "$(grep -c 'principal=User:' <<<"$out")" = 32 ] || fail "the broker has $(grep -c 'principal=User:' <<<"$out") ACLs, not the 32 of kafka-acls.txt: $out"
  # anonymous (no SASL): nothing
  if out=$(kafka_client "$(printf '%s\n' security.protocol=PLAINTEXT default.api.timeout.ms=8000 request.timeout.ms=4000)" \
      "$(kafka_tool kafka-topics --command-config /tmp/client.properties --list)"); then
    fail "an anonymous client listed the topics: $out"
  fi
  log "Kafka: an anonymous client refused ($(grep -m1 -o 'TimeoutException.*' <<<"$out" || tail -1 <<<"$out"))"
  # the agents' principal with a wrong password: authentication fails
  if out=$(kafka_client "$(scram_config node-agent "wrong-$RANDOM")" \
      "$(kafka_tool kafka-topics --command-config /tmp/client.properties --list)"); then
    fail "node-agent with a wrong password listed the topics: $out"
  fi
  grep -q 'SaslAuthenticationException\|Authentication failed' <<<"$out" || fail "node-agent with a wrong password: $out"
  log "Kafka: node-agent with a wrong password refused ($(grep -m1 -o 'Authentication failed[^(]*' <<<"$out"))"
  # with the password agent-1 logs in with (from its own volume): exactly the topics it may use...
  agent_password=$("${compose[@]}" exec -T agent-1 cat /run/bootswarm/auth/agent-1/bootswarm.kafka.password) \
    || fail "no bootswarm.kafka.password in agent-1's volume"
  topics=$(kafka_client "$(scram_config node-agent "$agent_password")" \
    "$(kafka_tool kafka-topics --command-config /tmp/client.properties --list)") || fail "node-agent listing topics: $topics"
  [ "$(grep '^bootswarm\.' <<<"$topics" | sort | xargs)" = \
    "bootswarm.access-traces.v1 bootswarm.launch-commands.v1 bootswarm.launch-status.v1 bootswarm.swarm-reports.v1" ] \
    || fail "node-agent sees the topics $(xargs <<<"$topics")"
  # ...and it may not write the allocation plans
  out=$(kafka_client "$(scram_config node-agent "$agent_password")" \
    "echo forged | $(kafka_tool kafka-console-producer --command-config /tmp/client.properties --topic bootswarm.allocation-plans.v1)") || true
  grep -q 'TopicAuthorizationException' <<<"$out" || fail "node-agent writing bootswarm.allocation-plans.v1 was not refused: $out"
  log "Kafka: as admin 29 ACLs; node-agent (agent-1's password) sees only $(grep -c '^bootswarm\.' <<<"$topics") topics" \
    "and writing bootswarm.allocation-plans.v1 is refused ($(grep -m1 -o 'TopicAuthorizationException: [^]]*]' <<<"$out"))"
}

host_bound_tokens() { # agents' tokens are bound to their hosts: agent-1's heartbeats for agent-1 only
  local agent1
  agent1=$(token_of agent-1)
  expect_status 403 "agent-1's token heartbeating for agent-2" POST http://127.0.0.1:8080/api/v1/hosts/agent-2/heartbeat \
    -H "Authorization: Bearer $agent1"
  expect_status 204 "agent-1's token heartbeating for agent-1" POST http://127.0.0.1:8080/api/v1/hosts/agent-1/heartbeat \
    -H "Authorization: Bearer $agent1"
  log "agent-1's token (host claim agent-1): heartbeat for agent-1 accepted, for agent-2 refused with 403"
}

log "images: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^bootswarm/' | tr '\n' ' ')"
log "postgres image ${BOOTSWARM_POSTGRES_IMAGE:-postgres:17}, kafka image ${BOOTSWARM_KAFKA_IMAGE:-apache/kafka:4.1.1}"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
t_up=$(date +%s)
"${compose[@]}" up -d || fail "compose up"
await_healthy
log "init done, all 9 containers healthy $(( $(date +%s) - t_up )) s after compose up"
get_tokens
security_checks
kafka_checks
pki="$work/pki"
mkdir -p "$pki"
"${compose[@]}" exec -T agent-1 cat /run/bootswarm/nbd-tls/ca-cert.pem > "$pki/ca-cert.pem" \
  || fail "no CA certificate in agent-1's TLS volume"
cmp -s "$pki/ca-cert.pem" <("${compose[@]}" exec -T agent-2 cat /run/bootswarm/nbd-tls/ca-cert.pem) \
  || fail "agent-1 and agent-2 have different CAs"
log "NBD TLS CA: $(openssl x509 -noout -subject -in "$pki/ca-cert.pem")"
mkdir -p "$work/other-ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=another CA" \
  -keyout "$work/other-ca/ca-key.pem" -out "$work/other-ca/ca-cert.pem" 2>/dev/null

# a 256 MiB image with zero regions: every fourth MiB zero, the rest random
for i in $(seq 0 255); do
  if [ $(( i % 4 )) -eq 3 ]; then head -c 1048576 /dev/zero; else head -c 1048576 /dev/urandom; fi
done > "$work/original.img"
original_sha=$(sha256sum "$work/original.img" | cut -d' ' -f1)

image=$(api POST 'http://127.0.0.1:8081/api/v1/images?name=smoke' "$admin" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$work/original.img")
image_id=$(jq -r .id <<<"$image")
log "uploaded image $image_id: $(jq -r '"\(.size) bytes, \(.pieceCount) pieces, \(.zeroPieces) zero"' <<<"$image")"
[ "$(jq -r .size <<<"$image")" = 268435456 ] || fail "image size $(jq -r .size <<<"$image")"

await "agent-1 UP" 120 host_up agent-1
await "agent-2 UP" 120 host_up agent-2
host_bound_tokens

read -r launch1 uri1 < <(launch_on agent-1)
[[ "$uri1" == nbds://127.0.0.1:10809/* ]] || fail "agent-1 advertises $uri1, not its published port over TLS"
refused_without_tls "$uri1"
read_and_compare "$uri1" agent-1
read -r launch2 uri2 < <(launch_on agent-2)
[[ "$uri2" == nbds://127.0.0.1:10810/* ]] || fail "agent-2 advertises $uri2, not its published port over TLS"
read_and_compare "$uri2" agent-2

disk1=$(api GET "http://127.0.0.1:8082/api/v1/disks/$launch1" "$orchestrator")
disk2=$(api GET "http://127.0.0.1:8092/api/v1/disks/$launch2" "$orchestrator")
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
# the authorization server signs with a new key after a restart: old tokens are void, the kept
# secrets get new ones
old_viewer=$viewer
expect_status 401 "a token of the previous authorization server" GET http://127.0.0.1:8080/api/v1/hosts \
  -H "Authorization: Bearer $old_viewer"
get_tokens
cmp -s "$pki/ca-cert.pem" <("${compose[@]}" exec -T agent-1 cat /run/bootswarm/nbd-tls/ca-cert.pem) \
  || fail "the agents' NBD CA changed across down/up"
log "the old viewer token refused with 401 by the restarted fleet; new tokens from the kept secrets; NBD certificates kept"

api GET "http://127.0.0.1:8081/api/v1/images/$image_id" "$viewer" | jq -e --arg s 268435456 '.size == ($s | tonumber)' >/dev/null \
  || fail "image $image_id not in the catalog after the restart"
for l in "$launch1" "$launch2"; do
  api GET "http://127.0.0.1:8080/api/v1/launches/$l" "$viewer" >/dev/null
done
await "agent-1 has disk $launch1 again" 120 probe "http://127.0.0.1:8082/api/v1/disks/$launch1" "$orchestrator"
await "agent-2 has disk $launch2 again" 120 probe "http://127.0.0.1:8092/api/v1/disks/$launch2" "$orchestrator"
for pair in "8082 $launch1 $uri1 agent-1" "8092 $launch2 $uri2 agent-2"; do
  read -r port id uri name <<<"$pair"
  d=$(api GET "http://127.0.0.1:$port/api/v1/disks/$id" "$orchestrator")
  [ "$(jq -r .piecesPresent <<<"$d")" = "$total" ] || fail "$name kept $(jq -r .piecesPresent <<<"$d") of $total pieces"
  read_and_compare "$uri" "$name-after-restart"
  d=$(api GET "http://127.0.0.1:$port/api/v1/disks/$id" "$orchestrator")
  [ "$(jq -r .piecesFetched <<<"$d")" = 0 ] || fail "$name fetched $(jq -r .piecesFetched <<<"$d") pieces again"
done
log "after down/up: catalog, both launches and all $total verified pieces on each agent kept; nothing fetched again"
log "compose smoke test passed in $(( $(date +%s) - t_start )) s"
