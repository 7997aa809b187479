#!/usr/bin/env bash
# The compose deployment's one-shot "init" service (docker-compose.yml), run as root in the
# bootswarm/auth-local image before anything else, on every `up`:
#
# 1. The authorization server's volumes (/init/auth/*: its state, and one volume per service client,
#    each mounted read-only into that service alone) belong to uid 65532, owner-only: the server
#    writes the client secrets into them as 65532 and the services (also 65532) read their own.
# 2. NBD over TLS for the agents: on first start a CA and, per agent, a server key and certificate
#    (SANs: the agent's name, localhost and 127.0.0.1, where the host reaches the published NBD
#    port) into the agent's volume /init/tls/<agent>/ (server-key.pem 0600, server-cert.pem,
#    ca-cert.pem). The CA's key is thrown away once both are signed: nothing else can be issued
#    under it. Existing certificates are kept; delete the volumes (down -v) for new ones.
# 3. Kafka's passwords (deploy/compose/kafka.sh, kafka-acls.txt): on first start a random password
#    for the broker's super user "admin" and for every principal of kafka-acls.txt, into the volume
#    only the broker and kafka-setup mount (/init/kafka: <principal>.password, admin.password and
#    admin.properties, an admin client configuration), uid 65532, owner-only. Each service gets its
#    principal's password as bootswarm.kafka.password in its own client volume (read by configtree
#    with its client secret); $BOOTSWARM_KAFKA_LOGINS says whose: "<client volume>:<principal> ...".
#    Existing passwords are kept; delete the volumes (down -v) for new ones.
# 4. The trackers' shared peer-token key (docker-compose.ha.yml only, which mounts the volume
#    tracker-key at /init/tracker-key): on first start an Ed25519 key (PKCS#8 PEM) that every tracker
#    replica mounts read-only (bootswarm.tracker.peer-token.key-file), uid 65532, owner-only. Kept
#    across starts; delete the volume for a new one.
#
# openssl comes with the base image's ca-certificates (Debian and Ubuntu alike).
set -euo pipefail
uid=65532

for d in /init/auth/*/; do
  chown "$uid:$uid" "$d"
  chmod 0700 "$d"
done

# --- Kafka -------------------------------------------------------------------------------------
kafka=/init/kafka
password() { openssl rand -hex 24; }
new_kafka_passwords=()
for principal in admin $(awk '$1 == "grant" { print $2 }' /init/kafka-acls.txt); do
  if [ ! -s "$kafka/$principal.password" ]; then
    (umask 077 && password | tr -d '\n' > "$kafka/$principal.password")
    new_kafka_passwords+=("$principal")
  fi
done
(umask 077 && printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=PLAIN' \
  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$(cat "$kafka/admin.password")\";" \
  > "$kafka/admin.properties")
chown -R "$uid:$uid" "$kafka"
chmod 0700 "$kafka"
chmod 0400 "$kafka"/*
echo "Kafka: passwords of admin and $(awk '$1 == "grant" { print $2 }' /init/kafka-acls.txt | xargs)" \
  "(new: ${new_kafka_passwords[*]:-none})"
for login in ${BOOTSWARM_KAFKA_LOGINS:?"<client volume>:<principal> ..."}; do
  client=${login%%:*} principal=${login#*:}
  [ -s "$kafka/$principal.password" ] || { echo "no Kafka principal $principal (for $client)" >&2; exit 1; }
  [ -d "/init/auth/$client" ] || { echo "no client volume /init/auth/$client" >&2; exit 1; }
  f="/init/auth/$client/bootswarm.kafka.password"
  rm -f "$f"
  install -m 0400 -o "$uid" -g "$uid" "$kafka/$principal.password" "$f"
  echo "Kafka: $client logs in as $principal"
done

# --- the trackers' peer-token key (docker-compose.ha.yml) --------------------------------------
key_dir=/init/tracker-key
if [ -d "$key_dir" ]; then
  if [ ! -s "$key_dir/peer-token-key.pem" ]; then
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$key_dir/peer-token-key.pem")
    echo "tracker peer-token key: made"
  else
    echo "tracker peer-token key: kept"
  fi
  chown -R "$uid:$uid" "$key_dir"
  chmod 0700 "$key_dir"
  chmod 0400 "$key_dir/peer-token-key.pem"
fi

# --- NBD TLS -----------------------------------------------------------------------------------
agents=()
for d in /init/tls/*/; do
  agents+=("$(basename "$d")")
done
complete=true
for a in "${agents[@]}"; do
  for f in ca-cert.pem server-cert.pem server-key.pem; do
    [ -s "/init/tls/$a/$f" ] || complete=false
  done
done
if $complete; then
  echo "NBD TLS: certificates of ${agents[*]} kept"
  exit 0
fi

ca=$(mktemp -d)
trap 'rm -rf "$ca"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=bootswarm compose NBD CA" -keyout "$ca/ca-key.pem" -out "$ca/ca-cert.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for a in "${agents[@]}"; do
  dir="/init/tls/$a"
  rm -f "$dir"/*.pem
  (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$a" \
    -keyout "$dir/server-key.pem" -out "$ca/$a.csr" 2>/dev/null)
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' "$a" > "$ca/$a.ext"
  openssl x509 -req -in "$ca/$a.csr" -CA "$ca/ca-cert.pem" -CAkey "$ca/ca-key.pem" -CAcreateserial \
    -days 825 -sha256 -extfile "$ca/$a.ext" -out "$dir/server-cert.pem" 2>/dev/null
  cp "$ca/ca-cert.pem" "$dir/ca-cert.pem"
  chown -R "$uid:$uid" "$dir"
  chmod 0700 "$dir"
  chmod 0600 "$dir/server-key.pem"
  chmod 0644 "$dir/server-cert.pem" "$dir/ca-cert.pem"
  echo "NBD TLS: $a's certificate ($(openssl x509 -noout -ext subjectAltName -in "$dir/server-cert.pem" | tail -1 | xargs))"
done
