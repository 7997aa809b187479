#!/usr/bin/env bash
# Trains the JVM's ahead-of-time cache (JEP 483/514) into a node-agent image built by Jib, and tags the
# result with the same name, so that every start of the image maps the cache:
#
#   deploy/images/node-agent-aot/train.sh bootswarm/node-agent:<version>
#
# The cache's path is the entrypoint's -XX:AOTCache= (node-agent/pom.xml); the training
# (io.bootswarm.agent.aot.AotTraining, see the Dockerfile beside this script) runs with the entrypoint's
# other JVM flags on its class path: the JVM refuses a cache made by another JVM or for another class
# path. No network (docker build --network none). Docker's build cache makes a rerun on an unchanged
# Jib image (Jib builds are reproducible) cost nothing. build-local-images.sh runs it after Jib; an
# image built by Jib for a registry gets its cache the same way, before it is pushed.
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,13p' "$0"; exit 2; }
image="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

jib_id="$(docker image inspect -f '{{.Id}}' "$image")"
trained_on="$(docker image inspect -f '{{ index .Config.Labels "io.bootswarm.aot-trained-on" }}' "$image")"
if [ -n "$trained_on" ]; then
  echo "$image already holds its AOT cache (trained on $trained_on)"
  exit 0
fi
user="$(docker image inspect -f '{{.Config.User}}' "$image")"
mapfile -t entry < <(docker image inspect -f '{{range .Config.Entrypoint}}{{println .}}{{end}}' "$image")
cache=""
flags=()
for f in "${entry[@]:1}"; do
  case "$f" in
    -cp|-jar) break ;;
    -XX:AOTCache=*) cache="${f#-XX:AOTCache=}" ;;
    -Xlog:aot*) ;;
    *) flags+=("$f") ;;
  esac
done
if [ -z "$cache" ]; then
  echo "$image: no -XX:AOTCache= in its entrypoint (node-agent/pom.xml); no cache trained" >&2
  exit 0
fi
printf '\n==> %s\n' "training $image's AOT cache $cache (no network)"
docker build --pull=false --network none -f "$here/Dockerfile" \
  --build-arg "AGENT_IMAGE=$image" --build-arg "JAVA_FLAGS=${flags[*]}" --build-arg "AOT_CACHE=$cache" \
  --build-arg "RUN_AS=${user:-65532:65532}" --label "io.bootswarm.aot-trained-on=$jib_id" \
  -t "$image" "$here"
