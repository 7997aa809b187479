#!/usr/bin/env bash
# Tries the images that build-local-images.sh made, for real, on a private Docker network:
#   postgres-local  refuses to start without a password; with one, psql connects over TCP with it
#                   (and not with a wrong one); the data survives re-creating the container
#   kafka-local     KRaft single node from KAFKA_* env; healthy; one record produced and consumed;
#                   a restart keeps the formatted log dir and the record
#   a service       (default allocator-service; SERVICE=tracker-service ...) against both: readiness
#                   UP through the bash /dev/tcp health check a compose file would use
# Containers, network and volumes are named bsimg-* and removed at the end, whatever happens.
# Usage: deploy/images/smoke-test.sh   (SERVICE=<artifactId> to pick the service)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${BOOTSWARM_VERSION:-$(sed -n '/<artifactId>bootswarm-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q}' "$here/../../pom.xml")}"
service="${SERVICE:-allocator-service}"
case "$service" in
  tracker-service) port=8080 ;; seed-service) port=8081 ;; profile-service) port=8083 ;;
  allocator-service) port=8084 ;; node-agent) port=8082 ;;
  *) echo "unknown service $service" >&2; exit 2 ;;
esac
net=bsimg-net
containers=(bsimg-svc bsimg-kafka bsimg-pg bsimg-pg-nopw)
volumes=(bsimg-pgdata bsimg-kafkadata)

cleanup() {
  docker rm -f -v "${containers[@]}" >/dev/null 2>&1 || true
  docker volume rm "${volumes[@]}" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

ok() { printf 'ok   %s\n' "$*"; }
logs_have() { local logs; logs="$(docker logs "$1" 2>&1)"; [[ "$logs" == *"$2"* ]]; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
# wait_healthy CONTAINER SECONDS: until Docker's health check passes (the image's own HEALTHCHECK)
wait_healthy() {
  local start=$SECONDS status
  while (( SECONDS - start < $2 )); do
    status="$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1")"
    case "$status" in
      "running healthy") echo $(( SECONDS - start )); return 0 ;;
      exited*|dead*) docker logs --tail 30 "$1" >&2; return 1 ;;
    esac
    sleep 1
  done
  docker logs --tail 30 "$1" >&2
  return 1
}

docker network create "$net" >/dev/null

# --- PostgreSQL --------------------------------------------------------------------------------
pg_image="bootswarm/postgres-local:$version"
if docker run --name bsimg-pg-nopw "$pg_image" >/dev/null 2>&1; then fail "postgres started without a password"; fi
logs_have bsimg-pg-nopw 'superuser password is not specified' || fail "no clear message without a password"
ok "postgres refuses to start without POSTGRES_PASSWORD"
pg_run() {
  docker run -d --name bsimg-pg --network "$net" -v bsimg-pgdata:/var/lib/postgresql/data \
    -e POSTGRES_PASSWORD=smoke-pw -e POSTGRES_USER=bootswarm -e POSTGRES_DB=bootswarm "$pg_image" >/dev/null
}
pg_run
s="$(wait_healthy bsimg-pg 60)" || fail "postgres not healthy"
ok "postgres healthy (pg_isready) after ${s}s"
psql_tcp() { docker exec -e PGPASSWORD="$1" bsimg-pg psql -h bsimg-pg -U bootswarm -d bootswarm -v ON_ERROR_STOP=1 -Atc "$2"; }
psql_tcp smoke-pw 'create table smoke(x int); insert into smoke values (42)' >/dev/null
[ "$(psql_tcp smoke-pw 'select current_user')" = bootswarm ] || fail "psql with the password"
ok "psql over TCP with the password (scram-sha-256)"
if psql_tcp wrong 'select 1' >/dev/null 2>&1; then fail "a wrong password was accepted"; fi
ok "a wrong password is refused"
docker rm -f bsimg-pg >/dev/null
pg_run
wait_healthy bsimg-pg 60 >/dev/null || fail "postgres not healthy after re-creation"
[ "$(psql_tcp smoke-pw 'select x from smoke')" = 42 ] || fail "data lost when the container was re-created"
ok "data kept across re-creating the container (volume)"

# --- Kafka -------------------------------------------------------------------------------------
kafka_run() {
  docker run -d --name bsimg-kafka --network "$net" -v bsimg-kafkadata:/var/lib/kafka/data \
    -e KAFKA_NODE_ID=1 -e KAFKA_PROCESS_ROLES=broker,controller \
    -e KAFKA_LISTENERS=PLAINTEXT://:9092,CONTROLLER://:9093 \
    -e KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://bsimg-kafka:9092 \
    -e KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER \
    -e KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT \
    -e KAFKA_CONTROLLER_QUORUM_VOTERS=1@localhost:9093 \
    -e KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=1 -e KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR=1 \
    -e KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=1 -e KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS=0 \
    -e KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR=1 -e KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR=1 \
    -e CLUSTER_ID=bsimgSmokeTestCluster1 "bootswarm/kafka-local:$version" >/dev/null
}
kafka_run
s="$(wait_healthy bsimg-kafka 120)" || fail "kafka not healthy"
ok "kafka healthy (ApiVersions on 9092) after ${s}s"
echo "smoke-record" | docker exec -i bsimg-kafka kafka-console-producer --bootstrap-server bsimg-kafka:9092 --topic bsimg-smoke 2>/dev/null
consume() {
  docker exec bsimg-kafka kafka-console-consumer --bootstrap-server bsimg-kafka:9092 --topic bsimg-smoke \
    --from-beginning --max-messages 1 --timeout-ms 30000 2>/dev/null
}
[ "$(consume)" = smoke-record ] || fail "the record did not come back"
ok "one record produced and consumed"
docker rm -f bsimg-kafka >/dev/null
kafka_run
wait_healthy bsimg-kafka 120 >/dev/null || fail "kafka not healthy after re-creation"
logs_have bsimg-kafka 'are formatted; keeping them' || fail "kafka formatted its log dir again"
ok "kafka re-created: log dir not formatted again"
[ "$(consume)" = smoke-record ] || fail "the record was lost when the container was re-created"
ok "record kept across re-creating the container (volume)"

# --- a service -----------------------------------------------------------------------------------
start=$SECONDS
docker run -d --name bsimg-svc --network "$net" \
  -e SPRING_DATASOURCE_URL=jdbc:postgresql://bsimg-pg:5432/bootswarm \
  -e SPRING_DATASOURCE_USERNAME=bootswarm -e SPRING_DATASOURCE_PASSWORD=smoke-pw \
  -e SPRING_KAFKA_BOOTSTRAP_SERVERS=bsimg-kafka:9092 -e BOOTSWARM_KAFKA_SECURITY=none \
  --health-cmd "bash -c 'exec 3<>/dev/tcp/127.0.0.1/$port && printf \"GET /actuator/health/readiness HTTP/1.0\\r\\n\\r\\n\" >&3 && grep -q UP <&3'" \
  --health-interval 2s --health-timeout 5s --health-start-period 120s --health-retries 3 \
  "bootswarm/$service:$version" >/dev/null
s="$(wait_healthy bsimg-svc 180)" || fail "$service not ready"
ok "$service ready after ${s}s (container start to healthy, /dev/tcp health check)"
docker exec bsimg-svc bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf 'GET /actuator/health/readiness HTTP/1.0\r\n\r\n' >&3 && cat <&3" \
  | tail -n 1 | sed 's/^/     readiness: /'; echo
echo "     runs as: $(docker exec bsimg-svc id)"
echo "smoke test passed"
