{{/* Names and labels, the way `helm create` makes them. */}}
{{- define "call-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "call-sync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "call-sync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "call-sync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: call-sync
{{- end }}

{{/* Selector of one component's pods; called with (dict "root" $ "component" "config"). */}}
{{- define "call-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "call-sync.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "call-sync.componentLabels" -}}
{{ include "call-sync.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "call-sync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "call-sync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A component's image, called with (dict "root" $ "image" "config"). A digest pins the exact build a
tag may later name differently; each component is its own image, so each has its own digest.
*/}}
{{- define "call-sync.image" -}}
{{- $values := .root.Values.image }}
{{- with get $values.digests .image }}
{{- printf "%s/%s@%s" $values.repository $.image . }}
{{- else }}
{{- printf "%s/%s:%s" $values.repository .image (default .root.Chart.AppVersion $values.tag) }}
{{- end }}
{{- end }}

{{/* The Secret a group reads: its own existingSecret, else secrets.name, else the full name. */}}
{{- define "call-sync.secretName" -}}
{{- $groups := dict
  "mongodb" .root.Values.mongodb.existingSecret
  "kafka" .root.Values.kafka.sasl.existingSecret
  "s3" .root.Values.s3.existingSecret
  "airtable" .root.Values.airtable.existingSecret
  "van" .root.Values.van.existingSecret
  "livevox" .root.Values.livevox.existingSecret
  "api" .root.Values.api.existingSecret
  "webhooks" .root.Values.webhooks.existingSecret }}
{{- $own := get $groups .group }}
{{- default (default (include "call-sync.fullname" .root) .root.Values.secrets.name) $own }}
{{- end }}

{{/*
The Secret the migration reads a group's variables from: migrations.existingSecret (a user with the
rights to create), else the group's own existingSecret, else the hook's copy of the Secret the
chart makes (which does not exist yet before an install), else the Secret made beforehand.
*/}}
{{- define "call-sync.migrationSecretName" -}}
{{- $own := get (dict "mongodb" .root.Values.mongodb.existingSecret "kafka" .root.Values.kafka.sasl.existingSecret) .group }}
{{- if .root.Values.migrations.existingSecret }}
{{- .root.Values.migrations.existingSecret }}
{{- else if $own }}
{{- $own }}
{{- else if .root.Values.secrets.create }}
{{- include "call-sync.fullname" .root }}-migrate
{{- else }}
{{- include "call-sync.secretName" . }}
{{- end }}
{{- end }}

{{/*
The secret variables each component reads, as group:VARIABLE, with "?" for optional ones (left
unset when the Secret lacks the key). Each pod gets only the secrets its component reads.
*/}}
{{- define "call-sync.secretVariables" -}}
{{- /* Replicas accept each other's sessions only with one SESSION_SECRET: without it, none starts. */}}
{{- $shared := gt (int .root.Values.config.replicas) 1 }}
{{- $reads := dict
  "config" (list "mongodb:MONGODB_URL" "airtable:AIRTABLE_API_KEY" "van:VAN_APPLICATION_NAME" "api:API_TOKENS" (ternary "api:SESSION_SECRET" "api:SESSION_SECRET?" $shared) "webhooks:REPORT_WEBHOOK_URL?")
  "van-writer" (list "mongodb:MONGODB_URL" "airtable:AIRTABLE_API_KEY" "van:VAN_APPLICATION_NAME")
  "csv-writer" (list "mongodb:MONGODB_URL" "s3:S3_ACCESS_KEY_ID?" "s3:S3_SECRET_ACCESS_KEY?")
  "extractor" (list "mongodb:MONGODB_URL" "airtable:AIRTABLE_API_KEY" "van:VAN_APPLICATION_NAME" "livevox:LIVEVOX_USER_NAME?" "livevox:LIVEVOX_PASSWORD?" "webhooks:ALERT_WEBHOOK_URL?")
  "migrate" (list "mongodb:MONGODB_URL") }}
{{- $variables := get $reads .component }}
{{- if and (eq .component "config") $shared .root.Values.secrets.create (not .root.Values.api.existingSecret) (not (hasKey .root.Values.secrets.values "SESSION_SECRET")) }}
{{- fail (printf "config.replicas is %d: every replica must sign sign-in sessions with the same SESSION_SECRET, or each refuses the others' sessions; add SESSION_SECRET (32 characters or more) to secrets.values, or run one replica" (int .root.Values.config.replicas)) }}
{{- end }}
{{- if .root.Values.kafka.sasl.enabled }}
{{- $variables = concat $variables (list "kafka:KAFKA_SASL_USERNAME" "kafka:KAFKA_SASL_PASSWORD") }}
{{- end }}
{{- toJson $variables }}
{{- end }}

{{/* A container's env: its component's secrets by reference, then its own plain variables. */}}
{{- define "call-sync.env" -}}
{{- range $entry := include "call-sync.secretVariables" . | fromJsonArray }}
{{- $parts := splitList ":" $entry }}
{{- $name := trimSuffix "?" (index $parts 1) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      {{- if eq $.component "migrate" }}
      name: {{ include "call-sync.migrationSecretName" (dict "root" $.root "group" (index $parts 0)) }}
      {{- else }}
      name: {{ include "call-sync.secretName" (dict "root" $.root "group" (index $parts 0)) }}
      {{- end }}
      key: {{ $name }}
      {{- if hasSuffix "?" $entry }}
      optional: true
      {{- end }}
{{- end }}
{{- if eq .component "config" }}
{{- if or (hasKey .env "IMPORT_MAX_BYTES") (hasKey .root.Values.extraEnv "IMPORT_MAX_BYTES") }}
{{- fail "IMPORT_MAX_BYTES comes from config.importMaxBytes, which also sizes config's /tmp and the Ingress's body limit: set that value instead" }}
{{- end }}
- name: IMPORT_MAX_BYTES
  value: {{ include "call-sync.importMaxBytes" .root | quote }}
{{- end }}
{{- range $name, $value := .env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
The variables every component shares (each reads only those it names in its settings), as the
data of a ConfigMap: the release's own, and the migration hook's copy.
*/}}
{{- define "call-sync.configData" -}}
{{- $v := .Values }}
{{- $env := dict
  "LOG_LEVEL" $v.logLevel
  "PORT" "8080"
  "METRICS_PORT" $v.metricsPort
  "MONGODB_DATABASE" $v.mongodb.database
  "KAFKA_BROKERS" (join "," $v.kafka.brokers)
  "KAFKA_SSL" $v.kafka.tls
  "KAFKA_TOPIC_PARTITIONS" $v.kafka.topics.partitions
  "KAFKA_REPLICATION_FACTOR" $v.kafka.topics.replicationFactor
  "KAFKA_MIN_INSYNC_REPLICAS" $v.kafka.topics.minInsyncReplicas
  "S3_ENDPOINT" $v.s3.endpoint
  "S3_REGION" $v.s3.region
  "S3_BUCKET" $v.s3.bucket
  "S3_FORCE_PATH_STYLE" $v.s3.forcePathStyle
  "AIRTABLE_BASE_ID" $v.airtable.baseId
  "AIRTABLE_ENDPOINT_URL" $v.airtable.endpointUrl
  "AIRTABLE_LISTING_TABLE" $v.airtable.listingTable
  "AIRTABLE_TERM_CODES_TABLE" $v.airtable.termCodesTable
  "VAN_API_URL" $v.van.apiUrl
  "VAN_RATE_PER_SECOND" $v.van.ratePerSecond
  "VAN_DAILY_BUDGET" $v.van.dailyBudget
  "LIVEVOX_API_URL" $v.livevox.apiUrl
  "LIVEVOX_CLIENT_NAME" $v.livevox.clientName
  "OTEL_EXPORTER_OTLP_ENDPOINT" $v.otlpEndpoint }}
{{- if $v.kafka.sasl.enabled }}
{{- $_ := set $env "KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism }}
{{- end }}
{{- if $v.migrations.enabled }}
{{- /* The hook Job made them before any pod starts: the services need no right to create them. */}}
{{- $_ := set $env "ENSURE_SCHEMA_AT_START" "false" }}
{{- end }}
{{- $env = merge (deepCopy $v.extraEnv) $env }}
{{- range $name, $value := $env }}
{{- if ne (toString $value) "" }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{- define "call-sync.importMaxBytes" -}}
{{- int64 .Values.config.importMaxBytes }}
{{- end }}

{{/*
A pod's /tmp size limit: tmpSizeLimit, and for config one upload more, since an upload without a
Content-Length is spooled there until its end (a pod whose emptyDir outgrows its limit is evicted).
*/}}
{{- define "call-sync.tmpSizeLimit" -}}
{{- $limit := .root.Values.tmpSizeLimit }}
{{- if eq .component "config" }}
{{- $number := regexFind "^[0-9]+" $limit }}
{{- $unit := get (dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824) (trimPrefix $number $limit) }}
{{- $bytes := add (mul (atoi $number) $unit) (include "call-sync.importMaxBytes" .root | atoi) }}
{{- printf "%dMi" (div (add $bytes 1048575) 1048576) }}
{{- else }}
{{- $limit }}
{{- end }}
{{- end }}

{{/* What every pod shares: service account, security, /tmp, configuration. */}}
{{- define "call-sync.podSpecCommon" -}}
{{- /* Before an install the release's ServiceAccount does not exist yet: the hook makes its own. */ -}}
serviceAccountName: {{ if and (eq .component "migrate") .root.Values.serviceAccount.create }}{{ include "call-sync.fullname" .root }}-migrate{{ else }}{{ include "call-sync.serviceAccountName" .root }}{{ end }}
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ include "call-sync.tmpSizeLimit" . }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
{{- /* A constraint counts the pods its selector names: without one of its own, this component's. */}}
{{- $selector := dict "matchLabels" (include "call-sync.selectorLabels" $ | fromYaml) }}
topologySpreadConstraints:
  {{- range . }}
  {{- $constraint := deepCopy . }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" $selector }}
  {{- end }}
  - {{ toYaml $constraint | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "call-sync.containerCommon" -}}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "call-sync.fullname" .root }}{{ if eq .component "migrate" }}-migrate{{ end }}
env:
  {{- include "call-sync.env" (dict "root" .root "component" .component "env" .values.env) | trim | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{- end }}

{{- define "call-sync.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end }}

{{/*
The annotations of the migration hook's objects, called with (dict "weight" N "deletePolicy" P).
Helm makes a hook's objects in the order of their weights, waiting for each (a Job until it ends).
*/}}
{{- define "call-sync.migrationHook" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .deletePolicy }}
{{- end }}

{{/* The annotations of a `helm test` hook, called with (dict "weight" N); they go once it passed. */}}
{{- define "call-sync.testHook" -}}
helm.sh/hook: test
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end }}
