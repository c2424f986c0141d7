{{/* Names and labels. */}}
{{- define "cfe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix. Kept at 52 characters: CronJob names are limited so that their Jobs' names fit. */}}
{{- define "cfe.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cfe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cfe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cfe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "cfe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cloudflare-es-exporter
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Object names. The hook copies exist because a pre-install hook runs before the release's objects. */}}
{{- define "cfe.configName" -}}{{ include "cfe.fullname" . }}{{- end -}}
{{- define "cfe.hookConfigName" -}}{{ include "cfe.fullname" . }}-bootstrap{{- end -}}
{{- define "cfe.createdSecretName" -}}{{ include "cfe.fullname" . }}{{- end -}}
{{- define "cfe.hookSecretName" -}}{{ include "cfe.fullname" . }}-bootstrap{{- end -}}

{{- define "cfe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cfe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cfe.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart creates a Secret: some credential is needed and no existing Secret is named for it. */}}
{{- define "cfe.cloudflareSecretCreated" -}}
{{- if not .Values.cloudflare.auth.existingSecret }}true{{ end -}}
{{- end -}}
{{- define "cfe.elasticsearchSecretCreated" -}}
{{- $a := .Values.elasticsearch.auth -}}
{{- if and (ne $a.type "none") (not $a.existingSecret) }}true{{ end -}}
{{- end -}}

{{/* The data of the chart-created Secret (shared by the Secret and its hook copy). */}}
{{- define "cfe.secretData" -}}
{{- $cf := .Values.cloudflare.auth -}}
{{- $es := .Values.elasticsearch.auth -}}
{{- if include "cfe.cloudflareSecretCreated" . }}
{{- if eq $cf.type "token" }}
{{ $cf.apiTokenKey }}: {{ required "cloudflare.auth.apiToken is required when cloudflare.auth.existingSecret is empty (or name an existing Secret)" $cf.apiToken | b64enc | quote }}
{{- else }}
{{ $cf.apiEmailKey }}: {{ required "cloudflare.auth.apiEmail is required for cloudflare.auth.type=key when cloudflare.auth.existingSecret is empty" $cf.apiEmail | b64enc | quote }}
{{ $cf.apiKeyKey }}: {{ required "cloudflare.auth.apiKey is required for cloudflare.auth.type=key when cloudflare.auth.existingSecret is empty" $cf.apiKey | b64enc | quote }}
{{- end }}
{{- end }}
{{- if include "cfe.elasticsearchSecretCreated" . }}
{{- if eq $es.type "apiKey" }}
{{ $es.apiKeyKey }}: {{ required "elasticsearch.auth.apiKey is required for elasticsearch.auth.type=apiKey when elasticsearch.auth.existingSecret is empty (or set elasticsearch.auth.type=none)" $es.apiKey | b64enc | quote }}
{{- else }}
{{ $es.usernameKey }}: {{ required "elasticsearch.auth.username is required for elasticsearch.auth.type=basic" $es.username | b64enc | quote }}
{{ $es.passwordKey }}: {{ required "elasticsearch.auth.password is required for elasticsearch.auth.type=basic when elasticsearch.auth.existingSecret is empty" $es.password | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The exporter's config file, built from values. Only settings are in it, never a credential (the exporter refuses
them there anyway). Paths (CONFIG_FILE, the CA files) are environment variables, so the file says nothing about where
things are mounted. Keys that are not set in values are left out, so the exporter's own defaults apply.
*/}}
{{- define "cfe.configFile" -}}
{{- $v := .Values -}}
{{- /* What values.schema.json cannot express, refused here as the exporter would refuse it (exit 2). */ -}}
{{- $filters := list "zonesInclude" "zonesExclude" "accountsInclude" "accountsExclude" -}}
{{- if or $v.cloudflare.zones $v.cloudflare.accounts -}}
{{- range $filters }}{{ if index $v.cloudflare . }}{{ fail (printf "cloudflare.%s narrows discovered zones and accounts, but cloudflare.zones or cloudflare.accounts lists them explicitly (then nothing is discovered): remove one of them" .) }}{{ end }}{{ end -}}
{{- else if and $v.cloudflare.apiUrl (not $v.cloudflare.restUrl) (not (regexMatch "/graphql/?$" $v.cloudflare.apiUrl)) -}}
{{- fail "cloudflare.restUrl is needed: cloudflare.apiUrl does not end in /graphql, and discovering zones and accounts (cloudflare.zones and cloudflare.accounts are empty) needs Cloudflare's REST API" -}}
{{- end -}}
{{- range $owners := list (list "cloudflare.zones" "zone" $v.cloudflare.zones) (list "cloudflare.accounts" "account" $v.cloudflare.accounts) -}}
{{- $seen := dict -}}
{{- range index $owners 2 -}}
{{- if hasKey $seen .id }}{{ fail (printf "%s lists %s %s more than once: list each %s once" (index $owners 0) (index $owners 1) .id (index $owners 1)) }}{{ end -}}
{{- $_ := set $seen .id true -}}
{{- end -}}
{{- end -}}
{{- $cf := dict "queryBudget" $v.cloudflare.queryBudget "rateLimit" $v.cloudflare.rateLimit "timeoutSeconds" $v.cloudflare.timeoutSeconds "maxRetrySeconds" $v.cloudflare.maxRetrySeconds -}}
{{- with $v.cloudflare.apiUrl }}{{ $_ := set $cf "apiUrl" . }}{{ end -}}
{{- with $v.cloudflare.zones }}{{ $_ := set $cf "zones" . }}{{ end -}}
{{- with $v.cloudflare.accounts }}{{ $_ := set $cf "accounts" . }}{{ end -}}
{{- range $key := $filters }}{{ with index $v.cloudflare $key }}{{ $_ := set $cf $key . }}{{ end }}{{ end -}}
{{- with $v.cloudflare.restUrl }}{{ $_ := set $cf "restUrl" . }}{{ end -}}
{{- $_ := set $cf "restBudget" $v.cloudflare.restBudget -}}
{{- if not (kindIs "invalid" $v.cloudflare.topN) }}{{ $_ := set $cf "topN" $v.cloudflare.topN }}{{ end -}}
{{- if not (kindIs "invalid" $v.cloudflare.confidenceLevel) }}{{ $_ := set $cf "confidenceLevel" $v.cloudflare.confidenceLevel }}{{ end -}}
{{- if not (kindIs "invalid" $v.cloudflare.maxResponseBytes) }}{{ $_ := set $cf "maxResponseBytes" $v.cloudflare.maxResponseBytes }}{{ end -}}
{{- $es := dict "url" (required "elasticsearch.url is required, e.g. https://elasticsearch.example:9200" $v.elasticsearch.url) "tlsVerify" $v.elasticsearch.tlsVerify "indexPrefix" $v.elasticsearch.indexPrefix "indexPeriod" $v.elasticsearch.indexPeriod "indexMode" $v.elasticsearch.indexMode "retentionDays" $v.elasticsearch.retentionDays -}}
{{- $gate := dict "timeoutSeconds" $v.gate.timeoutSeconds -}}
{{- with $v.gate.uri }}{{ $_ := set $gate "uri" . }}{{ end -}}
{{- $config := dict "cloudflare" $cf "elasticsearch" $es "window" $v.window "gate" $gate "log" $v.log -}}
{{- /* `datasets` names built-ins; every declared dataset runs too, so a narrowed list never drops one. */ -}}
{{- $declared := list -}}
{{- range $v.customDatasets }}{{ $declared = append $declared .name }}{{ end -}}
{{- with $v.datasets }}{{ $_ := set $config "datasets" (concat . $declared) }}{{ end -}}
{{- with $v.customDatasets }}{{ $_ := set $config "customDatasets" . }}{{ end -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
The CA certificates the pods mount (JSON list): Elasticsearch's, and extra ones for Cloudflare (a TLS-inspecting
proxy) and the gate, each from a Secret or a ConfigMap, mounted in a folder of its own and named by a variable.
*/}}
{{- define "cfe.cas" -}}
{{- $v := .Values -}}
{{- $mounted := list -}}
{{- range list (list "elasticsearch.ca" "ca" "ES_CA_FILE" $v.elasticsearch.ca) (list "cloudflare.ca" "cloudflare-ca" "CF_CA_FILE" $v.cloudflare.ca) (list "gate.ca" "gate-ca" "GATE_CA_FILE" $v.gate.ca) -}}
{{- $ca := index . 3 -}}
{{- if and $ca.secretName $ca.configMapName }}{{ fail (printf "%s: set only one of secretName and configMapName (the CA certificate comes from one place)" (index . 0)) }}{{ end -}}
{{- if or $ca.secretName $ca.configMapName -}}
{{- $mounted = append $mounted (dict "volume" (index . 1) "env" (index . 2) "secretName" $ca.secretName "configMapName" $ca.configMapName "key" $ca.key "dir" (printf "/etc/cloudflare-es-exporter/%s" (index . 1))) -}}
{{- end -}}
{{- end -}}
{{- toJson $mounted -}}
{{- end -}}

{{/*
The exporter must stop before Kubernetes kills it: it needs time to finish the window in flight and to write its run
record, or the run ends unrecorded and the next one re-reads that window. So RUN_DEADLINE_SECONDS is the Job's
activeDeadlineSeconds less this margin (the schema's minimum deadlines leave the exporter's minimum of 10 s).
*/}}
{{- define "cfe.deadlineMarginSeconds" -}}30{{- end -}}

{{/* The container's environment: where the config file is, credentials from Secrets, the gate's identity. */}}
{{- define "cfe.env" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
{{- $cfSecret := default .secretName $v.cloudflare.auth.existingSecret -}}
{{- $esSecret := default .secretName $v.elasticsearch.auth.existingSecret -}}
- name: CONFIG_FILE
  value: /etc/cloudflare-es-exporter/config/config.yaml
{{- if eq $v.cloudflare.auth.type "token" }}
- name: CF_API_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $cfSecret }}
      key: {{ $v.cloudflare.auth.apiTokenKey }}
{{- else }}
- name: CF_API_EMAIL
  valueFrom:
    secretKeyRef:
      name: {{ $cfSecret }}
      key: {{ $v.cloudflare.auth.apiEmailKey }}
- name: CF_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $cfSecret }}
      key: {{ $v.cloudflare.auth.apiKeyKey }}
{{- end }}
{{- if eq $v.elasticsearch.auth.type "apiKey" }}
- name: ES_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $esSecret }}
      key: {{ $v.elasticsearch.auth.apiKeyKey }}
{{- else if eq $v.elasticsearch.auth.type "basic" }}
{{- if and $v.elasticsearch.auth.existingSecret $v.elasticsearch.auth.username }}
- name: ES_USER
  value: {{ $v.elasticsearch.auth.username | quote }}
{{- else }}
- name: ES_USER
  valueFrom:
    secretKeyRef:
      name: {{ $esSecret }}
      key: {{ $v.elasticsearch.auth.usernameKey }}
{{- end }}
- name: ES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $esSecret }}
      key: {{ $v.elasticsearch.auth.passwordKey }}
{{- end }}
{{- range include "cfe.cas" $ctx | fromJsonArray }}
- name: {{ .env }}
  value: {{ .dir }}/{{ .key }}
{{- end }}
{{- with .jobDeadlineSeconds }}
- name: RUN_DEADLINE_SECONDS
  value: {{ sub . (include "cfe.deadlineMarginSeconds" $ctx | atoi) | quote }}
{{- end }}
{{- if $v.gate.uri }}
- name: LOCAL_CLUSTER
  value: {{ $v.gate.cluster | quote }}
{{- if $v.gate.namespace }}
- name: LOCAL_NAMESPACE
  value: {{ $v.gate.namespace | quote }}
{{- else }}
- name: LOCAL_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end }}
{{- end }}
{{- with $v.nodeOptions }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The pod template shared by the CronJob, the bootstrap hook and the backfill Job.
Arguments: ctx (the root context), component, args, configName, secretName, serviceAccountName, and
jobDeadlineSeconds (the Job's activeDeadlineSeconds, for the runs that stop themselves before it).
*/}}
{{- define "cfe.podTemplate" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
metadata:
  labels:
    {{- include "cfe.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $v.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  restartPolicy: Never
  automountServiceAccountToken: {{ $v.automountServiceAccountToken }}
  {{- with .serviceAccountName }}
  serviceAccountName: {{ . }}
  {{- end }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "cfe.image" $ctx | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      env:
        {{- include "cfe.env" (dict "ctx" $ctx "secretName" .secretName "jobDeadlineSeconds" .jobDeadlineSeconds) | nindent 8 }}
      {{- with $v.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml $v.resources | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/cloudflare-es-exporter/config
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- range include "cfe.cas" $ctx | fromJsonArray }}
        - name: {{ .volume }}
          mountPath: {{ .dir }}
          readOnly: true
        {{- end }}
        {{- with $v.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ .configName }}
        items:
          - key: config.yaml
            path: config.yaml
    - name: tmp
      emptyDir:
        sizeLimit: {{ $v.tmpSizeLimit }}
    {{- range include "cfe.cas" $ctx | fromJsonArray }}
    - name: {{ .volume }}
      {{- if .secretName }}
      secret:
        secretName: {{ .secretName }}
      {{- else }}
      configMap:
        name: {{ .configMapName }}
      {{- end }}
        items:
          - key: {{ .key }}
            path: {{ .key }}
    {{- end }}
    {{- with $v.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
Exit code 2 is bad configuration: retrying cannot help, so the Job fails at once. (onPodConditions is empty but
present: Kubernetes 1.27's schema requires the field.)
*/}}
{{- define "cfe.podFailurePolicy" -}}
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: exporter
        operator: In
        values: [2]
      onPodConditions: []
{{- end -}}

{{/* Seconds since 1970 of a time values.schema.json accepted (whole minutes, with a zone); empty if none parses. */}}
{{- define "cfe.epochSeconds" -}}
{{- $text := . -}}
{{- $seconds := "" -}}
{{- range list "2006-01-02T15:04Z07:00" "2006-01-02T15:04:05Z07:00" "2006-01-02T15:04Z0700" "2006-01-02T15:04:05Z0700" -}}
{{- $time := toDate . $text -}}
{{- if and (not $seconds) (not $time.IsZero) }}{{ $seconds = unixEpoch $time }}{{ end -}}
{{- end -}}
{{- $seconds -}}
{{- end -}}
