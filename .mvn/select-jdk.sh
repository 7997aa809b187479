# Sourced by ./mvnw and bin/fleet: makes JAVA_HOME name a JDK 25 or newer.
# Keeps a JAVA_HOME that is already new enough; otherwise tries the usual install places,
# because the default `java` on our build machines is 17.
bootswarm_jdk_major() {
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}
bootswarm_jdk_ok() {
  [ -x "$1/bin/java" ] && [ "$(bootswarm_jdk_major "$1")" -ge 25 ] 2>/dev/null
}
if [ -z "${JAVA_HOME-}" ] || ! bootswarm_jdk_ok "$JAVA_HOME"; then
  for bootswarm_jdk in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 \
      /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/java-25-openjdk-arm64 \
      "${HOME-}/.sdkman/candidates/java/current"; do
    if bootswarm_jdk_ok "$bootswarm_jdk"; then
      JAVA_HOME="$bootswarm_jdk"
      export JAVA_HOME
      break
    fi
  done
fi
if [ -z "${JAVA_HOME-}" ] || ! bootswarm_jdk_ok "$JAVA_HOME"; then
  echo "bootswarm needs JDK 25 or newer: set JAVA_HOME to one (found '${JAVA_HOME-none}')." >&2
  exit 1
fi
