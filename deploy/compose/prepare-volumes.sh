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
#
# openssl comes with the base image's ca-certificates (Debian and Ubuntu alike).
set -euo pipefail
uid=65532

for d in /init/auth/*/; do
  chown "$uid:$uid" "$d"
  chmod 0700 "$d"
done

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
