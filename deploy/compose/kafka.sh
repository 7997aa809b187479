#!/usr/bin/env bash
# The compose deployment's Kafka (docker-compose.yml), in the Kafka image:
#
#   kafka.sh broker   the "kafka" service's entrypoint: the broker's SASL logins from the admin's
#                     password, then the image's own entrypoint (bootswarm/kafka-local's
#                     /opt/kafka/bin/entrypoint, or the official apache/kafka's /etc/kafka/docker/run)
#   kafka.sh health   its health check: lists the topics as the admin (authenticated, so it also
#                     proves the broker's SASL works)
#   kafka.sh setup    the one-shot "kafka-setup" service, once the broker is healthy: a SCRAM-SHA-512
#                     user per principal (with the password prepare-volumes.sh made), the topics and the
#                     ACLs of kafka-acls.txt. Idempotent: runs on every `up` (passwords are set again).
#   kafka.sh tool NAME ARGS...   kafka-topics, kafka-acls, kafka-configs or kafka-console-producer,
#                     in either image
#
# The broker (KAFKA_* variables in docker-compose.yml): listener CLIENT (SASL_PLAINTEXT, 9092) takes
# SCRAM-SHA-512 (the services) and PLAIN (only the super user "admin", whose password is in the
# broker's own JAAS configuration, so it needs no user record before the broker starts); CONTROLLER
# (SASL_PLAINTEXT, 9093) takes PLAIN as admin only, which the broker itself logs in with.
# StandardAuthorizer, nothing allowed without an ACL.
#
# Secrets: $BOOTSWARM_KAFKA_SECRETS (default /run/bootswarm/kafka, the volume kafka-secrets, which
# only kafka and kafka-setup mount): admin.password, admin.properties (a client configuration that
# logs in as admin) and <principal>.password for every principal of kafka-acls.txt.
set -euo pipefail

secrets="${BOOTSWARM_KAFKA_SECRETS:-/run/bootswarm/kafka}"
acls="${BOOTSWARM_KAFKA_ACLS:-/etc/bootswarm/kafka-acls.txt}"
bootstrap="${BOOTSWARM_KAFKA_BOOTSTRAP:-localhost:9092}"
bin="${KAFKA_HOME:-/opt/kafka}/bin"
admin_config="$secrets/admin.properties"

tool() { # NAME ARGS...: a Kafka tool, the official image's NAME.sh, else bootswarm/kafka-local's kafka-run-class
  local name=$1 class
  shift
  if [ -x "$bin/$name.sh" ]; then
    "$bin/$name.sh" "$@"
    return
  fi
  case "$name" in
    kafka-topics) class=org.apache.kafka.tools.TopicCommand ;;
    kafka-acls) class=org.apache.kafka.tools.AclCommand ;;
    kafka-configs) class=kafka.admin.ConfigCommand ;;
    kafka-console-producer) class=org.apache.kafka.tools.ConsoleProducer ;;
    *) echo "unknown tool $name" >&2; return 2 ;;
  esac
  "$bin/kafka-run-class" "$class" "$@"
}
as_admin() { # NAME ARGS...: a tool against the broker, logged in as admin
  local name=$1
  shift
  tool "$name" --bootstrap-server "$bootstrap" --command-config "$admin_config" "$@" </dev/null
}

case "${1:-}" in
  broker)
    password="$(cat "$secrets/admin.password")"
    plain="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$password\" user_admin=\"$password\";"
    export KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG="$plain"
    export KAFKA_LISTENER_NAME_CLIENT_PLAIN_SASL_JAAS_CONFIG="$plain"
    export KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required;"
    unset password plain
    if [ -x "$bin/entrypoint" ]; then
      exec "$bin/entrypoint"
    fi
    exec /etc/kafka/docker/run
    ;;
  health)
    as_admin kafka-topics --list >/dev/null
    ;;
  setup)
    while read -r kind principal _; do
      [ "$kind" = grant ] || continue
      as_admin kafka-configs --alter --entity-type users --entity-name "$principal" \
        --add-config "SCRAM-SHA-512=[password=$(cat "$secrets/$principal.password")]" >/dev/null
      echo "SCRAM-SHA-512 user $principal"
    done < "$acls"
    while read -r kind name partitions configs; do
      [ "$kind" = topic ] || continue
      args=(--create --if-not-exists --topic "$name" --replication-factor 1)
      [ "$partitions" = -1 ] || args+=(--partitions "$partitions")
      for c in $configs; do args+=(--config "$c"); done
      as_admin kafka-topics "${args[@]}" >/dev/null
      echo "topic $name (partitions $partitions${configs:+, $configs})"
    done < "$acls"
    while read -r kind principal writes reads group; do
      [ "$kind" = grant ] || continue
      for pair in "WRITE:$writes" "READ:$reads"; do
        topics=${pair#*:}
        [ "$topics" = - ] && continue
        args=(--add --allow-principal "User:$principal" --operation "${pair%%:*}" --operation DESCRIBE)
        for t in ${topics//,/ }; do args+=(--topic "$t"); done
        as_admin kafka-acls "${args[@]}" >/dev/null
      done
      if [ "$reads" != - ]; then
        as_admin kafka-acls --add --allow-principal "User:$principal" \
          --operation READ --group "$group" --resource-pattern-type prefixed >/dev/null
      fi
      echo "ACLs of $principal: writes $writes, reads $reads, groups $group*"
    done < "$acls"
    echo "Kafka set up: $(as_admin kafka-acls --list | grep -c 'principal=User:') ACLs"
    ;;
  tool)
    shift
    tool "$@"
    ;;
  *)
    echo "usage: $0 broker|health|setup|tool NAME ARGS..." >&2
    exit 2
    ;;
esac
