{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "entra-provisioning-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart unless the release name already contains the chart name. */}}
{{- define "entra-provisioning-exporter.fullname" -}}
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

{{- define "entra-provisioning-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "entra-provisioning-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "entra-provisioning-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "entra-provisioning-exporter.labels" -}}
helm.sh/chart: {{ include "entra-provisioning-exporter.chart" . }}
{{ include "entra-provisioning-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: entra-provisioning-exporter
{{- end }}

{{- define "entra-provisioning-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "entra-provisioning-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "entra-provisioning-exporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where tenant N's certificate Secret is mounted. */}}
{{- define "entra-provisioning-exporter.certDir" -}}
{{- printf "/etc/entra-provisioning-exporter/tenants/%d" . }}
{{- end }}

{{/* The Secret holding tenant N's credential: the one you named, or the chart's. */}}
{{- define "entra-provisioning-exporter.tenantSecret" -}}
{{- $c := .tenant.credential | default dict }}
{{- default (printf "%s-tenant-%d" (include "entra-provisioning-exporter.fullname" .root) .index) $c.existingSecret }}
{{- end }}

{{/*
The exporter's settings as appsettings JSON. Keys bind case-insensitively to the "Exporter" section.
Secret material is left out: client secrets and certificate passwords come from Secrets as environment
variables, certificates as mounted files whose path is set here.
*/}}
{{- define "entra-provisioning-exporter.settings" -}}
{{- $tenants := list }}
{{- range $i, $t := .Values.exporter.tenants }}
{{- $c := $t.credential | default dict }}
{{- $cred := dict "kind" ($c.kind | default "Default") }}
{{- with $c.clientId }}{{ $_ := set $cred "clientId" . }}{{ end }}
{{- with $c.tokenFilePath }}{{ $_ := set $cred "tokenFilePath" . }}{{ end }}
{{- if eq $cred.kind "ClientCertificate" }}
{{- $_ := set $cred "certificatePath" (printf "%s/%s" (include "entra-provisioning-exporter.certDir" $i) ($c.certificateKey | default "certificate.pfx")) }}
{{- end }}
{{- $tenant := omit $t "credential" }}
{{- $_ := set $tenant "credential" $cred }}
{{- $tenants = append $tenants $tenant }}
{{- end }}
{{- $exporter := deepCopy .Values.exporter.extraSettings }}
{{- $_ := set $exporter "pollInterval" .Values.exporter.pollInterval }}
{{- $_ := set $exporter "discoveryInterval" .Values.exporter.discoveryInterval }}
{{- $_ := set $exporter "tenants" $tenants }}
{{- if .Values.sharding.enabled }}
{{- /* The count is in the ConfigMap, so its checksum restarts every pod when it changes: all shards must agree on it. */}}
{{- $_ := set $exporter "sharding" (dict "count" (int .Values.replicaCount)) }}
{{- end }}
{{- with .Values.exporter.logs }}{{ $_ := set $exporter "logs" . }}{{ end }}
{{- with .Values.exporter.quarantine }}{{ $_ := set $exporter "quarantine" . }}{{ end }}
{{- with .Values.exporter.metrics }}
{{- $metrics := dict }}
{{- with .include }}{{ $_ := set $metrics "include" . }}{{ end }}
{{- with .exclude }}{{ $_ := set $metrics "exclude" . }}{{ end }}
{{- if $metrics }}{{ $_ := set $exporter "metrics" $metrics }}{{ end }}
{{- end }}
{{- dict "Exporter" $exporter | toPrettyJson }}
{{- end }}

{{/*
The shard that polls a tenant: the exporter's rendezvous hash (Sources/TenantSharding.cs), the shard whose
SHA-256 of "<tenant id, lower case>/<shard>" has the highest first 8 bytes. Equal-length hex compares as the number.
Takes (dict "tenantId" ID "count" N).
*/}}
{{- define "entra-provisioning-exporter.shardOf" -}}
{{- $best := 0 }}
{{- $bestScore := "" }}
{{- range $s := until (int .count) }}
{{- $score := sha256sum (printf "%s/%d" (lower $.tenantId) $s) | trunc 16 }}
{{- if or (eq $s 0) (gt $score $bestScore) }}{{ $best = $s }}{{ $bestScore = $score }}{{ end }}
{{- end }}
{{- $best }}
{{- end }}
