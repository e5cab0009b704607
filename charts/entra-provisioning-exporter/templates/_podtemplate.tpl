{{/*
The pod template shared by the Deployment (one replica polls every tenant) and the StatefulSet (sharding:
each pod polls the share of the tenants its ordinal gives it; the exporter reads the ordinal from its hostname).
*/}}
{{- define "entra-provisioning-exporter.podTemplate" -}}
metadata:
  {{- /* No checksum of the settings here: the exporter reloads a changed ConfigMap or Secret itself, so a
         settings-only upgrade rolls no pod (docs/operations.md, Reloading the configuration). */}}
  {{- $annotations := deepCopy (.Values.podAnnotations | default dict) }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  labels:
    {{- include "entra-provisioning-exporter.labels" . | nindent 4 }}
    {{- if .Values.workloadIdentity.enabled }}
    azure.workload.identity/use: "true"
    {{- end }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "entra-provisioning-exporter.serviceAccountName" . }}
  automountServiceAccountToken: {{ or .Values.serviceAccount.automountServiceAccountToken .Values.workloadIdentity.enabled }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "entra-provisioning-exporter.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- if .Values.demo }}
      args: ["--demo"]
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      ports:
        - name: metrics
          containerPort: 9464
          protocol: TCP
      env:
        - name: ASPNETCORE_HTTP_PORTS
          value: "9464"
        # Settings and secrets are mounted files the exporter watches and reloads (polling: the kubelet swaps a
        # symlink, which file-change notifications do not see).
        - name: ConfigFile
          value: /config/appsettings.json
        - name: SecretsDirectory
          value: /secrets
        - name: DOTNET_USE_POLLING_FILE_WATCHER
          value: "true"
        {{- if .Values.otlp.endpoint }}
        - name: OTEL_EXPORTER_OTLP_ENDPOINT
          value: {{ .Values.otlp.endpoint | quote }}
        - name: OTEL_EXPORTER_OTLP_PROTOCOL
          value: {{ .Values.otlp.protocol | quote }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      livenessProbe:
        {{- toYaml .Values.livenessProbe | nindent 8 }}
      readinessProbe:
        {{- toYaml .Values.readinessProbe | nindent 8 }}
      startupProbe:
        {{- toYaml .Values.startupProbe | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /config
          readOnly: true
        {{- if include "entra-provisioning-exporter.secretSources" . | trim }}
        - name: secrets
          mountPath: /secrets
          readOnly: true
        {{- end }}
        - name: tmp
          mountPath: /tmp
        {{- range $i, $t := .Values.exporter.tenants }}
        {{- $c := $t.credential | default dict }}
        {{- if eq ($c.kind | default "Default") "ClientCertificate" }}
        - name: tenant-{{ $i }}-certificate
          mountPath: {{ include "entra-provisioning-exporter.certDir" $i }}
          readOnly: true
        {{- end }}
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "entra-provisioning-exporter.fullname" . }}
    {{- with include "entra-provisioning-exporter.secretSources" . | trim }}
    - name: secrets
      projected:
        defaultMode: 0440
        sources:
          {{- . | nindent 10 }}
    {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- range $i, $t := .Values.exporter.tenants }}
    {{- $c := $t.credential | default dict }}
    {{- if eq ($c.kind | default "Default") "ClientCertificate" }}
    - name: tenant-{{ $i }}-certificate
      secret:
        secretName: {{ required (printf "exporter.tenants[%d].credential.existingSecret is required for ClientCertificate" $i) $c.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ $c.certificateKey | default "certificate.pfx" }}
            path: {{ $c.certificateKey | default "certificate.pfx" }}
    {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}


{{/*
The tenants' secret values as files named by their configuration key (Exporter__Tenants__<i>__Credential__…), one
projected volume for all: the exporter reads them as a key-per-file directory (SecretsDirectory) and reloads them
when a Secret is updated.
*/}}
{{- define "entra-provisioning-exporter.secretSources" -}}
{{- range $i, $t := .Values.exporter.tenants }}
{{- $c := $t.credential | default dict }}
{{- $kind := $c.kind | default "Default" }}
{{- if eq $kind "ClientSecret" }}
- secret:
    name: {{ include "entra-provisioning-exporter.tenantSecret" (dict "root" $ "tenant" $t "index" $i) }}
    items:
      - key: {{ $c.clientSecretKey | default "client-secret" }}
        path: Exporter__Tenants__{{ $i }}__Credential__ClientSecret
{{- end }}
{{- if and (eq $kind "ClientCertificate") $c.certificatePasswordKey }}
- secret:
    name: {{ required (printf "exporter.tenants[%d].credential.existingSecret is required for ClientCertificate" $i) $c.existingSecret }}
    items:
      - key: {{ $c.certificatePasswordKey }}
        path: Exporter__Tenants__{{ $i }}__Credential__CertificatePassword
{{- end }}
{{- end }}
{{- end }}
