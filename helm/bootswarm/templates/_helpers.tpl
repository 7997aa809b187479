{{/*
Names. Every object is named after the release: <release>-bootswarm-<component>, or
<release>-<component> when the release name already contains "bootswarm".
*/}}
{{- define "bootswarm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bootswarm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* (list $ "tracker") -> <fullname>-tracker */}}
{{- define "bootswarm.cname" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "bootswarm.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* (list $ "seed") -> the Service's DNS name, <fullname>-seed.<namespace>.svc.<clusterDomain> */}}
{{- define "bootswarm.svcHost" -}}
{{- $root := index . 0 -}}
{{- printf "%s.%s.svc.%s" (include "bootswarm.cname" .) $root.Release.Namespace $root.Values.clusterDomain -}}
{{- end -}}

{{- define "bootswarm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* (list $ "tracker"): the standard labels of a component's objects */}}
{{- define "bootswarm.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "bootswarm.chart" $root }}
{{ include "bootswarm.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: bootswarm
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end -}}

{{/* (list $ "tracker"): the labels a component's selectors match */}}
{{- define "bootswarm.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "bootswarm.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "bootswarm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "bootswarm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* (list $ "tracker-service"): <image.registry>/<name>:<image.tag or appVersion> */}}
{{- define "bootswarm.image" -}}
{{- $root := index . 0 -}}
{{- $tag := default $root.Chart.AppVersion $root.Values.image.tag -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $root.Values.image.registry) (index . 1) $tag -}}
{{- else -}}
{{- printf "%s:%s" (index . 1) $tag -}}
{{- end -}}
{{- end -}}

{{/*
Validation of the values a schema cannot express. Rendered by templates/validate.yaml, so that a
missing setting fails `helm install` and `helm template` with this message.
*/}}
{{- define "bootswarm.validate" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.embedded.enabled -}}
{{- if not (or $pg.embedded.password $pg.embedded.existingSecret) -}}
{{- fail "postgresql.embedded.password (or postgresql.embedded.existingSecret) is required when postgresql.embedded.enabled: the chart bakes in no default password" -}}
{{- end -}}
{{- else -}}
{{- $_ := required "postgresql.external.host is required: the PostgreSQL server of the services (or set postgresql.embedded.enabled=true to run one in the chart, for evaluation)" $pg.external.host -}}
{{- $_ := required "postgresql.external.existingSecret is required: the name of a Secret that holds the PostgreSQL password under postgresql.external.existingSecretPasswordKey (or set postgresql.embedded.enabled=true, for evaluation)" $pg.external.existingSecret -}}
{{- end -}}
{{- if not .Values.kafka.embedded.enabled -}}
{{- $_ := required "kafka.external.bootstrapServers is required: the Kafka brokers of the services, host:port[,host:port] (or set kafka.embedded.enabled=true to run one in the chart, for evaluation)" .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- $_ := required "auth.issuerUri is required: the OAuth2 issuer (your identity provider, e.g. https://idp.example.com/realms/bootswarm) whose JWTs the services accept; every service refuses to start without one" .Values.auth.issuerUri -}}
{{- $_ := required "tracker.auth.existingSecret is required: a Secret with keys client-id and client-secret of the tracker's client (role viewer) at the identity provider" .Values.tracker.auth.existingSecret -}}
{{- $_ := required "seed.auth.existingSecret is required: a Secret with keys client-id and client-secret of the seed's client (role seed) at the identity provider" .Values.seed.auth.existingSecret -}}
{{- $_ := required "profile.auth.existingSecret is required: a Secret with keys client-id and client-secret of profile-service's client (role viewer) at the identity provider" .Values.profile.auth.existingSecret -}}
{{- if .Values.allocator.enabled -}}
{{- $_ := required "allocator.auth.existingSecret is required: a Secret with keys client-id and client-secret of allocator-service's client (role viewer) at the identity provider" .Values.allocator.auth.existingSecret -}}
{{- end -}}
{{- $_ := required "nodeAgent.auth.existingSecret is required: a Secret with keys client-id and client-secret of the agents' client (role agent) at the identity provider" .Values.nodeAgent.auth.existingSecret -}}
{{- if eq .Values.kafka.security "sasl" -}}
{{- if .Values.kafka.embedded.enabled -}}
{{- fail "kafka.embedded has no SASL: with it set kafka.security=none (no Kafka authentication, for evaluation only)" -}}
{{- end -}}
{{- $_ := required "kafka.sasl.existingSecret is required when kafka.security=sasl: a Secret with each service's Kafka password under its principal (tracker-service, seed-service, profile-service, allocator-service, node-agent); or set kafka.security=none to connect without authentication" .Values.kafka.sasl.existingSecret -}}
{{- end -}}
{{- $a := .Values.nodeAgent -}}
{{- if and (not (include "bootswarm.nodeAgent.nbdLoopback" .)) (not $a.nbd.tls.existingSecret) -}}
{{- fail (printf "nodeAgent.nbd.tls.existingSecret is required: the NBD server would listen on %s, beyond loopback, and NBD has no authentication of its own; give a Secret with tls.crt and tls.key (e.g. from cert-manager) so that it takes only TLS clients (nbds://), or bind it to 127.0.0.1 with nodeAgent.hostNetwork" (include "bootswarm.nodeAgent.nbdBindAddress" .)) -}}
{{- end -}}
{{- if .Values.monitoring.serviceMonitor.enabled -}}
{{- $_ := required "monitoring.serviceMonitor.oauth2.existingSecret is required with monitoring.serviceMonitor.enabled: /actuator/prometheus takes only viewer or admin tokens; give a Secret with keys client-id and client-secret of Prometheus' client (role viewer) at the identity provider" .Values.monitoring.serviceMonitor.oauth2.existingSecret -}}
{{- end -}}
{{- if and $a.nbd.tls.verifyClients (not $a.nbd.tls.existingSecret) -}}
{{- fail "nodeAgent.nbd.tls.verifyClients needs nodeAgent.nbd.tls.existingSecret (its ca.crt signs the clients' certificates)" -}}
{{- end -}}
{{- if and (not $a.hostNetwork) (hasPrefix "127." (default "" $a.nbd.bindAddress)) -}}
{{- fail "nodeAgent.nbd.bindAddress must not be a loopback address when nodeAgent.hostNetwork is false: the hypervisor on the node could not reach the NBD server in the pod (leave it empty for 0.0.0.0)" -}}
{{- end -}}
{{- if and (gt (int .Values.tracker.replicas) 1) (not .Values.tracker.peerToken.existingSecret) -}}
{{- fail "tracker.peerToken.existingSecret is required with tracker.replicas above 1: every replica must sign peer access tokens with one key, or a token one replica hands out fails at the seeds and agents that took another replica's key; create it with: openssl genpkey -algorithm ed25519 -out peer-token-key.pem && kubectl create secret generic bootswarm-peer-token --from-file=peer-token-key.pem" -}}
{{- end -}}
{{- $seed := .Values.seed -}}
{{- if and (gt (int $seed.replicas) 1) (not (or $seed.persistence.shared $seed.persistence.existingClaim)) -}}
{{- fail "seed.replicas above 1 needs one store for all of them: set seed.persistence.shared=true (with accessModes [ReadWriteMany], as values-ha.yaml does) or seed.persistence.existingClaim (a ReadWriteMany claim); a claim per pod would give each seed an empty catalog" -}}
{{- end -}}
{{- if and (gt (int $seed.replicas) 1) $seed.persistence.shared (not $seed.persistence.existingClaim) (not (has "ReadWriteMany" $seed.persistence.accessModes)) -}}
{{- fail "seed.replicas above 1 with seed.persistence.shared needs seed.persistence.accessModes [ReadWriteMany] (and a storageClass that offers it): the replicas run on different nodes" -}}
{{- end -}}
{{- if and (include "bootswarm.seed.perPod" .) $seed.advertisedHost -}}
{{- fail "seed.advertisedHost must be empty with more than one seed (seed.replicas above 1 or seed.persistence.shared): each replica advertises its own pod IP, since agents dial every seed's peer port directly" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (or .Values.ingress.hosts.tracker .Values.ingress.hosts.seed .Values.ingress.hosts.profile .Values.ingress.hosts.allocator)) -}}
{{- fail "ingress.enabled needs at least one of ingress.hosts.tracker, .seed, .profile, .allocator" -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.hosts.allocator (not .Values.allocator.enabled) -}}
{{- fail "ingress.hosts.allocator is set but allocator.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/* PostgreSQL as the services see it */}}
{{- define "bootswarm.datasource.url" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.embedded.enabled -}}
{{- printf "jdbc:postgresql://%s:%d/%s" (include "bootswarm.svcHost" (list . "postgresql")) (int $pg.embedded.port) $pg.embedded.database -}}
{{- else -}}
{{- printf "jdbc:postgresql://%s:%d/%s" $pg.external.host (int $pg.external.port) $pg.external.database -}}
{{- with $pg.external.jdbcParameters }}?{{ . }}{{ end -}}
{{- end -}}
{{- end -}}

{{- define "bootswarm.datasource.username" -}}
{{- if .Values.postgresql.embedded.enabled -}}
{{- .Values.postgresql.embedded.username -}}
{{- else -}}
{{- .Values.postgresql.external.username -}}
{{- end -}}
{{- end -}}

{{/* the Secret and key holding the PostgreSQL password */}}
{{- define "bootswarm.datasource.secretName" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.embedded.enabled -}}
{{- default (include "bootswarm.cname" (list . "postgresql")) $pg.embedded.existingSecret -}}
{{- else -}}
{{- $pg.external.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "bootswarm.datasource.secretKey" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.embedded.enabled -}}
{{- if $pg.embedded.existingSecret }}{{ $pg.embedded.existingSecretPasswordKey }}{{ else }}password{{ end -}}
{{- else -}}
{{- $pg.external.existingSecretPasswordKey -}}
{{- end -}}
{{- end -}}

{{/* what the password's Secret is, for the pods' checksum annotation (the chart-made one by content) */}}
{{- define "bootswarm.datasource.secretChecksum" -}}
{{- $pg := .Values.postgresql -}}
{{- if and $pg.embedded.enabled (not $pg.embedded.existingSecret) -}}
{{- include "bootswarm.postgresql.secretData" . -}}
{{- else -}}
{{- printf "%s/%s" (include "bootswarm.datasource.secretName" .) (include "bootswarm.datasource.secretKey" .) -}}
{{- end -}}
{{- end -}}

{{- define "bootswarm.postgresql.secretData" -}}
password: {{ .Values.postgresql.embedded.password | b64enc | quote }}
{{- end -}}

{{- define "bootswarm.datasource.passwordEnv" -}}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "bootswarm.datasource.secretName" . }}
      key: {{ include "bootswarm.datasource.secretKey" . }}
{{- end -}}

{{/* The Kafka login of a service: its password from kafka.sasl.existingSecret, under its principal's name */}}
{{- define "bootswarm.kafka.passwordEnv" -}}
{{- $root := index . 0 -}}
{{- if eq $root.Values.kafka.security "sasl" -}}
- name: BOOTSWARM_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.kafka.sasl.existingSecret }}
      key: {{ index . 1 }}
{{- end -}}
{{- end -}}

{{- define "bootswarm.config.kafka" -}}
SPRING_KAFKA_BOOTSTRAP_SERVERS: {{ include "bootswarm.kafka.bootstrapServers" . | quote }}
BOOTSWARM_KAFKA_SECURITY: {{ .Values.kafka.security | quote }}
{{- if eq .Values.kafka.security "sasl" }}
BOOTSWARM_KAFKA_MECHANISM: {{ .Values.kafka.sasl.mechanism | quote }}
BOOTSWARM_KAFKA_PROTOCOL: {{ .Values.kafka.sasl.protocol | quote }}
{{- end }}
{{- end -}}

{{- define "bootswarm.kafka.bootstrapServers" -}}
{{- if .Values.kafka.embedded.enabled -}}
{{- printf "%s:%d" (include "bootswarm.svcHost" (list . "kafka")) (int .Values.kafka.embedded.port) -}}
{{- else -}}
{{- .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{/* the services' URLs inside the cluster */}}
{{- define "bootswarm.scheme" -}}
{{- ternary "https" "http" (not (empty .Values.tls.existingSecret)) -}}
{{- end -}}
{{- define "bootswarm.tracker.url" -}}
{{- printf "%s://%s:%d" (include "bootswarm.scheme" .) (include "bootswarm.svcHost" (list . "tracker")) (int .Values.tracker.port) -}}
{{- end -}}
{{- define "bootswarm.seed.url" -}}
{{- printf "%s://%s:%d" (include "bootswarm.scheme" .) (include "bootswarm.svcHost" (list . "seed")) (int .Values.seed.port) -}}
{{- end -}}
{{- define "bootswarm.profile.url" -}}
{{- printf "%s://%s:%d" (include "bootswarm.scheme" .) (include "bootswarm.svcHost" (list . "profile")) (int .Values.profile.port) -}}
{{- end -}}

{{/*
The non-secret environment of each component, rendered into its ConfigMap (envFrom) and hashed
into its pods' checksum/config annotation. Names bind to Spring properties by relaxed binding;
the deploy module's tests check each one against the services' configuration metadata.
*/}}
{{- define "bootswarm.config.datasource" -}}
SPRING_DATASOURCE_URL: {{ include "bootswarm.datasource.url" . | quote }}
SPRING_DATASOURCE_USERNAME: {{ include "bootswarm.datasource.username" . | quote }}
{{ include "bootswarm.config.kafka" . }}
{{- end -}}

{{- define "bootswarm.config.tracker" -}}
SERVER_PORT: {{ .Values.tracker.port | quote }}
{{ include "bootswarm.config.auth" . }}
{{ include "bootswarm.config.datasource" . }}
BOOTSWARM_TRACKER_SEED_URL: {{ default (include "bootswarm.seed.url" .) .Values.tracker.seedUrl | quote }}
BOOTSWARM_TRACKER_HOSTS_AGENT_IDENTITY: {{ .Values.tracker.hosts.agentIdentity | quote }}
BOOTSWARM_TRACKER_REPLICA_ENABLED: "true"
{{- if include "bootswarm.tracker.peerTokenSecret" . }}
BOOTSWARM_TRACKER_PEER_TOKEN_KEY_FILE: "/etc/bootswarm/peer-token/{{ .Values.tracker.peerToken.key }}"
{{- end }}
{{- with .Values.tracker.trustedNetworks }}
BOOTSWARM_TRACKER_ANNOUNCE_TRUSTED_NETWORKS: {{ join "," . | quote }}
{{- end }}
{{- end -}}

{{- define "bootswarm.config.seed" -}}
SERVER_PORT: {{ .Values.seed.port | quote }}
{{ include "bootswarm.config.auth" . }}
{{ include "bootswarm.config.datasource" . }}
BOOTSWARM_SEED_STORAGE_DIR: "/var/lib/bootswarm/seed"
BOOTSWARM_SEED_PEER_PORT: {{ .Values.seed.peerPort | quote }}
BOOTSWARM_SEED_TRACKER_URL: {{ include "bootswarm.tracker.url" . | quote }}
{{- if not (include "bootswarm.seed.perPod" .) }}
BOOTSWARM_SEED_ADVERTISED_HOST: {{ default (include "bootswarm.svcHost" (list . "seed")) .Values.seed.advertisedHost | quote }}
{{- end }}
BOOTSWARM_SEED_ADVERTISED_API_URL: {{ include "bootswarm.seed.url" . | quote }}
{{- with .Values.seed.uploadRate }}
BOOTSWARM_SEED_UPLOAD_RATE: {{ . | quote }}
{{- end }}
{{- if .Values.seed.signingKey.existingSecret }}
BOOTSWARM_SEED_SIGNING_KEY_FILE: "/etc/bootswarm/signing/{{ .Values.seed.signingKey.key }}"
{{- end }}
{{- end -}}

{{/* the Secret of the tracker's peer-token key (empty: none, the tracker makes a key in memory) */}}
{{- define "bootswarm.tracker.peerTokenSecret" -}}
{{- .Values.tracker.peerToken.existingSecret -}}
{{- end -}}

{{/*
"true" when each seed pod needs an identity of its own (replicas above 1, or a store shared with other
replicas): its seed id is its pod's name (a store's seed-id file would be shared) and its peer address its
pod IP (agents dial each seed's peer port directly), else empty.
*/}}
{{- define "bootswarm.seed.perPod" -}}
{{- if or (gt (int .Values.seed.replicas) 1) .Values.seed.persistence.shared -}}true{{- end -}}
{{- end -}}

{{/*
(list $ component values): the affinity and topology spread of a service's pods: the component's own
affinity value when set, else the chart's anti-affinity among the component's replicas (scheduling.*).
*/}}
{{- define "bootswarm.scheduling" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $v := index . 2 -}}
{{- $s := $root.Values.scheduling -}}
{{- if $v.affinity }}
affinity:
  {{- toYaml $v.affinity | nindent 2 }}
{{- else if eq $s.podAntiAffinity "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: {{ $s.podAntiAffinityTopologyKey }}
          labelSelector:
            matchLabels:
              {{- include "bootswarm.selectorLabels" (list $root $component) | nindent 14 }}
{{- else if eq $s.podAntiAffinity "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: {{ $s.podAntiAffinityTopologyKey }}
        labelSelector:
          matchLabels:
            {{- include "bootswarm.selectorLabels" (list $root $component) | nindent 12 }}
{{- end }}
{{- if $s.zoneSpread }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ $s.zoneTopologyKey }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "bootswarm.selectorLabels" (list $root $component) | nindent 8 }}
{{- end }}
{{- end -}}

{{- define "bootswarm.config.profile" -}}
SERVER_PORT: {{ .Values.profile.port | quote }}
{{ include "bootswarm.config.auth" . }}
{{ include "bootswarm.config.datasource" . }}
BOOTSWARM_PROFILE_SEED_URL: {{ default (include "bootswarm.seed.url" .) .Values.profile.seedUrl | quote }}
{{- end -}}

{{- define "bootswarm.config.allocator" -}}
SERVER_PORT: {{ .Values.allocator.port | quote }}
{{ include "bootswarm.config.auth" . }}
{{ include "bootswarm.config.datasource" . }}
{{- with (default .Values.seed.uploadRate .Values.allocator.seedUpload) }}
BOOTSWARM_ALLOCATOR_SEED_UPLOAD: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "bootswarm.nodeAgent.nbdBindAddress" -}}
{{- $a := .Values.nodeAgent -}}
{{- default (ternary "127.0.0.1" "0.0.0.0" $a.hostNetwork) $a.nbd.bindAddress -}}
{{- end -}}

{{/* "true" when the NBD server binds a loopback address only, else empty */}}
{{- define "bootswarm.nodeAgent.nbdLoopback" -}}
{{- $bind := include "bootswarm.nodeAgent.nbdBindAddress" . -}}
{{- if or (hasPrefix "127." $bind) (eq $bind "::1") (eq $bind "localhost") -}}true{{- end -}}
{{- end -}}

{{/* the identity provider's token endpoint: auth.tokenUri, else Spring Authorization Server's under the issuer */}}
{{- define "bootswarm.auth.tokenUri" -}}
{{- default (printf "%s/oauth2/token" (trimSuffix "/" .Values.auth.issuerUri)) .Values.auth.tokenUri -}}
{{- end -}}

{{/* the identity provider, in every component's ConfigMap */}}
{{- define "bootswarm.config.auth" -}}
SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI: {{ .Values.auth.issuerUri | quote }}
{{- with .Values.auth.tokenUri }}
BOOTSWARM_SECURITY_CLIENT_TOKEN_URI: {{ . | quote }}
{{- end }}
{{- if .Values.tls.existingSecret }}
SERVER_SSL_BUNDLE: "server"
SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_CERTIFICATE: "file:/etc/bootswarm/tls/tls.crt"
SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_PRIVATE_KEY: "file:/etc/bootswarm/tls/tls.key"
SPRING_SSL_BUNDLE_PEM_SERVER_TRUSTSTORE_CERTIFICATE: "file:/etc/bootswarm/tls/ca.crt"
SPRING_HTTP_CLIENTS_SSL_BUNDLE: "server"
{{- end }}
{{- end -}}

{{/* (list $ existingSecret): the component's own client credentials, from its Secret */}}
{{- define "bootswarm.clientEnv" -}}
- name: BOOTSWARM_SECURITY_CLIENT_ID
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: client-id
- name: BOOTSWARM_SECURITY_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: client-secret
{{- end -}}

{{/* (list $): the volume and mount of the services' HTTPS certificate, when tls.existingSecret */}}
{{- define "bootswarm.tlsVolume" -}}
{{- with .Values.tls.existingSecret }}
- name: tls
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- end -}}
{{- define "bootswarm.tlsMount" -}}
{{- if .Values.tls.existingSecret }}
- name: tls
  mountPath: /etc/bootswarm/tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "bootswarm.config.node-agent" -}}
{{- $a := .Values.nodeAgent -}}
SERVER_PORT: {{ $a.port | quote }}
# the agent's API listens on loopback by default; the kubelet's probes reach it on the pod's address (every call but the probes needs a token)
SERVER_ADDRESS: "0.0.0.0"
{{ include "bootswarm.config.auth" . }}
{{ include "bootswarm.config.kafka" . }}
BOOTSWARM_AGENT_DATA_DIRECTORY: "/var/lib/bootswarm/agent"
BOOTSWARM_AGENT_TRACKER_URL: {{ include "bootswarm.tracker.url" . | quote }}
BOOTSWARM_AGENT_SEED_URL: {{ include "bootswarm.seed.url" . | quote }}
BOOTSWARM_AGENT_PROFILE_URL: {{ include "bootswarm.profile.url" . | quote }}
BOOTSWARM_AGENT_PEER_PORT: {{ $a.peerPort | quote }}
{{- with $a.apiUrl }}
BOOTSWARM_AGENT_API_URL: {{ . | quote }}
{{- end }}
BOOTSWARM_AGENT_NBD_BIND_ADDRESS: {{ include "bootswarm.nodeAgent.nbdBindAddress" . | quote }}
BOOTSWARM_AGENT_NBD_PORT: {{ $a.nbd.port | quote }}
{{- if $a.nbd.tls.existingSecret }}
BOOTSWARM_AGENT_NBD_TLS_MODE: "require"
BOOTSWARM_AGENT_NBD_TLS_BUNDLE: "nbd"
SPRING_SSL_BUNDLE_PEM_NBD_KEYSTORE_CERTIFICATE: "file:/etc/bootswarm/nbd-tls/tls.crt"
SPRING_SSL_BUNDLE_PEM_NBD_KEYSTORE_PRIVATE_KEY: "file:/etc/bootswarm/nbd-tls/tls.key"
{{- if $a.nbd.tls.verifyClients }}
SPRING_SSL_BUNDLE_PEM_NBD_TRUSTSTORE_CERTIFICATE: "file:/etc/bootswarm/nbd-tls/ca.crt"
{{- end }}
{{- end }}
{{- if or $a.nbd.advertisedHost $a.hostNetwork }}
BOOTSWARM_AGENT_NBD_ADVERTISED_HOST: {{ default "127.0.0.1" $a.nbd.advertisedHost | quote }}
{{- end }}
BOOTSWARM_AGENT_NBD_ADVERTISED_PORT: {{ default $a.nbd.port $a.nbd.advertisedPort | quote }}
{{- if $a.nbd.socketGroup }}
BOOTSWARM_AGENT_NBD_UNIX_SOCKET: "/run/bootswarm/nbd/nbd.sock"
BOOTSWARM_AGENT_NBD_SOCKET_GROUP: {{ $a.nbd.socketGroup | quote }}
{{- else }}
BOOTSWARM_AGENT_NBD_UNIX_SOCKET: "/run/bootswarm/nbd.sock"
{{- end }}
{{- with $a.manifestKeys }}
BOOTSWARM_AGENT_MANIFEST_KEYS: {{ join "," . | quote }}
{{- end }}
BOOTSWARM_AGENT_FUSE_ENABLED: {{ $a.fuse.enabled | quote }}
{{- if $a.fuse.enabled }}
BOOTSWARM_AGENT_FUSE_MOUNT_POINT: {{ $a.fuse.mountPoint | quote }}
{{- end }}
{{- end -}}

{{/* (list $ "tracker"): checksum/config over the ConfigMap and the Secret a component's pods use */}}
{{- define "bootswarm.configChecksum" -}}
{{- $root := index . 0 -}}
{{- $config := include (printf "bootswarm.config.%s" (index . 1)) $root -}}
{{- if eq (index . 1) "node-agent" -}}
{{- $config | sha256sum -}}
{{- else -}}
{{- print $config (include "bootswarm.datasource.secretChecksum" $root) | sha256sum -}}
{{- end -}}
{{- end -}}

{{/* pod-level settings every bootswarm pod shares */}}
{{- define "bootswarm.podCommon" -}}
{{- include "bootswarm.podCommonWith" (list . .Values.podSecurityContext) }}
{{- end -}}

{{/* (list $ podSecurityContext): the pod settings every workload shares, with a given security context */}}
{{- define "bootswarm.podCommonWith" -}}
{{- $root := index . 0 -}}
serviceAccountName: {{ include "bootswarm.serviceAccountName" $root }}
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml (index . 1) | nindent 2 }}
{{- end -}}

{{/* (list $ probe-values): startup/liveness/readiness probes on Actuator's health groups at port "http" */}}
{{- define "bootswarm.probes" -}}
{{- $root := index . 0 -}}
{{- $startup := index . 1 -}}
{{- $p := $root.Values.probes -}}
startupProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
    scheme: {{ upper (include "bootswarm.scheme" $root) }}
  periodSeconds: {{ $startup.periodSeconds }}
  timeoutSeconds: {{ $startup.timeoutSeconds }}
  failureThreshold: {{ $startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
    scheme: {{ upper (include "bootswarm.scheme" $root) }}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /actuator/health/readiness
    port: http
    scheme: {{ upper (include "bootswarm.scheme" $root) }}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
{{- end -}}

{{- define "bootswarm.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpSizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end -}}

{{/*
(list $ component values): the Deployment of a Spring Boot service with a database
(tracker, profile, allocator).
*/}}
{{- define "bootswarm.serviceDeployment" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $v := index . 2 -}}
{{- $name := include "bootswarm.cname" (list $root $component) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "bootswarm.labels" (list $root $component) | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "bootswarm.selectorLabels" (list $root $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "bootswarm.labels" (list $root $component) | nindent 8 }}
      annotations:
        checksum/config: {{ include "bootswarm.configChecksum" (list $root $component) }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "bootswarm.podCommon" $root | nindent 6 }}
      containers:
        - name: {{ $component }}
          image: {{ include "bootswarm.image" (list $root $v.image) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          envFrom:
            - configMapRef:
                name: {{ $name }}
          env:
            {{- include "bootswarm.datasource.passwordEnv" $root | nindent 12 }}
            {{- include "bootswarm.clientEnv" (list $root $v.auth.existingSecret) | nindent 12 }}
            {{- include "bootswarm.kafka.passwordEnv" (list $root (printf "%s-service" $component)) | nindent 12 }}
            {{- if eq $component "allocator" }}
            # the name of this replica in the leader lease and in its consumer group (allocator-service-<pod>)
            - name: BOOTSWARM_ALLOCATOR_LEADER_INSTANCE_ID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          {{- include "bootswarm.probes" (list $root $root.Values.probes.startup) | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "bootswarm.tlsMount" $root | nindent 12 }}
            {{- if and (eq $component "tracker") (include "bootswarm.tracker.peerTokenSecret" $root) }}
            - name: peer-token
              mountPath: /etc/bootswarm/peer-token
              readOnly: true
            {{- end }}
      volumes:
        {{- include "bootswarm.tmpVolume" $root | nindent 8 }}
        {{- include "bootswarm.tlsVolume" $root | nindent 8 }}
        {{- if eq $component "tracker" }}
        {{- with include "bootswarm.tracker.peerTokenSecret" $root }}
        # the peer-token signing key, one for every replica: a token one replica signs, the seeds and agents
        # check against the same public key whichever replica they asked
        - name: peer-token
          secret:
            secretName: {{ . }}
            defaultMode: 0440
        {{- end }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "bootswarm.scheduling" (list $root $component $v) | nindent 6 }}
{{- end -}}

{{/* (list $ component port): the ClusterIP Service of a service's HTTP port */}}
{{- define "bootswarm.httpService" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "bootswarm.cname" (list $root $component) }}
  labels:
    {{- include "bootswarm.labels" (list $root $component) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "bootswarm.selectorLabels" (list $root $component) | nindent 4 }}
  ports:
    - name: http
      port: {{ index . 2 }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* (list $ component): the ConfigMap of a component's non-secret environment */}}
{{- define "bootswarm.configMap" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bootswarm.cname" (list $root $component) }}
  labels:
    {{- include "bootswarm.labels" (list $root $component) | nindent 4 }}
data:
  {{- include (printf "bootswarm.config.%s" $component) $root | nindent 2 }}
{{- end -}}
