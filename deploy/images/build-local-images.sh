#!/usr/bin/env bash
# Builds every bootswarm container image on this machine, with no container registry:
#
#   bootswarm/base:<version>            Debian bookworm (debootstrap minbase, fuse3, CA certificates)
#                                       + a jlink'ed Java 25 runtime from the build's own JDK,
#                                       user/group 65532 (bootswarm), writable /var/lib/bootswarm/*
#   bootswarm/postgres-local:<version>  Debian's PostgreSQL 15 on that base, official-image env vars
#   bootswarm/kafka-local:<version>     Apache Kafka (KRaft) jars from Maven Central on that base,
#                                       official apache/kafka env vars
#   bootswarm/<service>:<version>       the five services, by Jib (./mvnw -Pimages package) FROM the base;
#                                       node-agent's then with its JVM's AOT cache trained in (node-agent-aot/train.sh)
#   bootswarm/auth-local:<version>      the compose deployment's authorization server (module auth-server), by Jib
#
# Usage: deploy/images/build-local-images.sh [--force] [--no-services] [--no-infra]
#   --force        rebuild images even if one built from the same inputs exists
#   --no-services  build base, postgres and kafka only (skip the Maven/Jib build of the services)
#   --no-infra     skip the postgres and kafka images
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), JAVA_HOME (a JDK 25; else
#   .mvn/select-jdk.sh finds one), BOOTSWARM_VERSION (default: the root pom's version),
#   MVN_ARGS (extra arguments for the service build, e.g. "-o").
# Needs: root (debootstrap, chroot), debootstrap, docker (20.10+), network to the Debian mirror and
# Maven Central. Idempotent: each image carries the hash of its inputs in the label
# io.bootswarm.inputs and is skipped when an image with the same hash exists.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

force=false
services=true
infra=true
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --no-services) services=false ;;
    --no-infra) infra=false ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "run as root: debootstrap and chroot need it" >&2; exit 1; }
for tool in debootstrap docker sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
# shellcheck source=/dev/null
. "$root/.mvn/select-jdk.sh"

version="${BOOTSWARM_VERSION:-$(sed -n '/<artifactId>bootswarm-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q}' "$root/pom.xml")}"
[ -n "$version" ] || { echo "cannot read the project version from $root/pom.xml" >&2; exit 1; }
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
work="$here/target"              # staging (ignored by git: target/)
mkdir -p "$work"

base_image="bootswarm/base:$version"
postgres_image="bootswarm/postgres-local:$version"
kafka_image="bootswarm/kafka-local:$version"

# What the base is made of. fuse3 brings fusermount3 (setuid) and libfuse3-3, the library the
# agent binds through the FFM API; ca-certificates for TLS to anything outside.
base_packages="libfuse3-3,fuse3,ca-certificates"
# The runtime's modules: jdeps over the services' and Kafka's jars (java.* and the jdk.* they use),
# plus jdk.jcmd (jcmd/jstack in a running container) and jdk.charsets. ALL-MODULE-PATH needs jmods,
# which Temurin 25 no longer ships (JEP 493: jlink links from the run-time image).
java_modules="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,\
java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,\
java.sql,java.sql.rowset,java.transaction.xa,java.xml,jdk.charsets,jdk.jcmd,jdk.jfr,jdk.management,\
jdk.management.jfr,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs"

log() { printf '\n==> %s\n' "$*"; }
now() { date +%s; }
declare -A took=()

# the inputs label of an existing image, or nothing
stamp_of() { docker image inspect -f '{{ index .Config.Labels "io.bootswarm.inputs" }}' "$1" 2>/dev/null || true; }
# true when the image exists with these inputs and --force was not given
up_to_date() {
  local image="$1" inputs="$2"
  if ! $force && [ "$(stamp_of "$image")" = "$inputs" ]; then
    log "$image is up to date (inputs $inputs); --force rebuilds it"
    return 0
  fi
  return 1
}
hash_dir() { (cd "$1" && find . -type f ! -path './target/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }

build_base() {
  local rootfs="$work/base-rootfs"
  # a debootstrap that died may have left /proc or /sys mounted in there
  awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  debootstrap --variant=minbase --include="$base_packages" "$suite" "$rootfs" "$mirror"

  # Security and point-release updates too; then no apt lists, caches, docs, man pages or locales,
  # now and for whatever a Dockerfile FROM this base installs later (dpkg path excludes, as in
  # Debian's slim images; copyright files stay).
  cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -euc 'apt-get update -q && apt-get -y -q upgrade && apt-get clean'
  : > "$rootfs/etc/resolv.conf"

  # the service user: 65532, like distroless' nonroot, with a home; data dirs it owns, so that a
  # Docker named volume mounted there (it copies the mount point's owner on first use) is writable
  chroot "$rootfs" groupadd --gid 65532 bootswarm
  chroot "$rootfs" useradd --uid 65532 --gid 65532 --create-home --home-dir /home/bootswarm \
    --shell /usr/sbin/nologin bootswarm
  install -d -m 0750 -o 65532 -g 65532 "$rootfs/var/lib/bootswarm" \
    "$rootfs/var/lib/bootswarm/seed" "$rootfs/var/lib/bootswarm/agent" "$rootfs/run/bootswarm"
  chmod 0755 "$rootfs/var/lib/bootswarm"

  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/lib/dpkg/*-old
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete

  # the Java runtime, from the JDK that builds the project; a CDS archive for the JDK's own classes
  # (only the compressed-oops one: the heap stays far below 32 GiB)
  "$JAVA_HOME/bin/jlink" --add-modules "$java_modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --generate-cds-archive --output "$rootfs/opt/java"
  rm -f "$rootfs/opt/java/lib/server/classes_nocoops.jsa"
  "$rootfs/opt/java/bin/java" -version

  log "importing $base_image ($(du -sh "$rootfs" | cut -f1) on disk)"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV JAVA_HOME=/opt/java' \
    --change 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL io.bootswarm.inputs=$1 org.opencontainers.image.title=bootswarm-base org.opencontainers.image.version=$version" \
    --change 'CMD ["bash"]' \
    - "$base_image" >/dev/null
  rm -rf "$rootfs"
}

# the images this run may replace: their old versions are removed at the end when nothing uses them
ours() { docker image ls --format '{{.Repository}}:{{.Tag}} {{.ID}}' | awk -v v=":$version" '$1 ~ "^bootswarm/" && index($1, v) { print $2 }'; }
before="$(ours | sort -u)"

# --- a) the base --------------------------------------------------------------------------------
t=$(now)
base_inputs="$( { declare -f build_base; echo "$suite $mirror $base_packages $java_modules"; cat "$JAVA_HOME/release"; } \
  | sha256sum | cut -c1-16)"
if ! up_to_date "$base_image" "$base_inputs"; then
  log "building $base_image (debootstrap $suite, jlink from $JAVA_HOME)"
  build_base "$base_inputs"
fi
took[base]=$(( $(now) - t ))
base_id="$(docker image inspect -f '{{.Id}}' "$base_image")"

if $infra; then
  # --- b) PostgreSQL ----------------------------------------------------------------------------
  t=$(now)
  pg_inputs="$(echo "$base_id $(hash_dir "$here/postgres")" | sha256sum | cut -c1-16)"
  if ! up_to_date "$postgres_image" "$pg_inputs"; then
    log "building $postgres_image"
    docker build --pull=false --build-arg "BASE_IMAGE=$base_image" --label "io.bootswarm.inputs=$pg_inputs" \
      -t "$postgres_image" "$here/postgres"
  fi
  took[postgres]=$(( $(now) - t ))

  # --- c) Kafka ---------------------------------------------------------------------------------
  t=$(now)
  kafka_inputs="$(echo "$base_id $(hash_dir "$here/kafka")" | sha256sum | cut -c1-16)"
  if ! up_to_date "$kafka_image" "$kafka_inputs"; then
    log "building $kafka_image (jars from Maven Central by deploy/images/kafka/pom.xml)"
    ctx="$work/kafka-context"
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cp -r "$here/kafka/." "$ctx/"
    rm -f "$ctx/pom.xml"
    "$root/mvnw" -B -q -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$ctx/libs"
    docker build --pull=false --build-arg "BASE_IMAGE=$base_image" --label "io.bootswarm.inputs=$kafka_inputs" \
      -t "$kafka_image" "$ctx"
    rm -rf "$ctx"
  fi
  took[kafka]=$(( $(now) - t ))
fi

# --- d) the services, by Jib FROM the local base ---------------------------------------------------
if $services; then
  t=$(now)
  log "building the service images (Jib, FROM docker://$base_image)"
  # shellcheck disable=SC2086
  # the five services, the authorization server (auth-local) and what they are built from (common,
  # auth-server, infra): the other modules make no image
  (cd "$root" && ./mvnw -B -Pimages -DskipTests ${MVN_ARGS:-} \
      -pl tracker-service,seed-service,profile-service,allocator-service,node-agent,auth-server -am \
      -Dbootswarm.image.base="docker://$base_image" package)
  took[services]=$(( $(now) - t ))

  # --- e) node-agent's ahead-of-time cache, trained in its image ----------------------------------
  t=$(now)
  "$here/node-agent-aot/train.sh" "bootswarm/node-agent:$version"
  took[aot]=$(( $(now) - t ))
fi

after="$(ours | sort -u)"
for id in $(comm -23 <(echo "$before") <(echo "$after")); do
  if docker image rm "$id" >/dev/null 2>&1; then echo "removed the replaced image $id"; fi
done

log "images"
docker image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' \
  | { read -r header; echo "$header"; grep -E "^bootswarm/[^:]+:$version\b" || true; }
printf '\n'
for step in base postgres kafka services aot; do
  [ -n "${took[$step]:-}" ] && printf 'took %-9s %4ss\n' "$step" "${took[$step]}"
done
exit 0
