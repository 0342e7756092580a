{{/* Names and labels shared by every template. */}}
{{- define "hekim.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hekim.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "hekim.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "hekim.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hekim.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hekim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of the Hekim API pods (not the migration Job, not coturn). */}}
{{- define "hekim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hekim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "hekim.coturnSelectorLabels" -}}
app.kubernetes.io/name: {{ include "hekim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: coturn
{{- end -}}

{{- define "hekim.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hekim.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding Hekim's secrets: the operator's own, or the one this chart creates. */}}
{{- define "hekim.secretName" -}}
{{- if .Values.secrets.create -}}
{{- printf "%s-secrets" (include "hekim.fullname" .) -}}
{{- else -}}
{{- required "secrets.existingSecret is required when secrets.create is false" .Values.secrets.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* image reference: a digest wins over a tag. */}}
{{- define "hekim.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "hekim.coturnImage" -}}
{{- if .Values.coturn.image.digest -}}
{{- printf "%s@%s" .Values.coturn.image.repository .Values.coturn.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.coturn.image.repository .Values.coturn.image.tag -}}
{{- end -}}
{{- end -}}

{{/* TURN URLs handed to clients: explicit ones, else derived from coturn's public host. */}}
{{- define "hekim.turnUrls" -}}
{{- if .Values.config.turnUrls -}}
{{- .Values.config.turnUrls -}}
{{- else if .Values.coturn.enabled -}}
{{- $h := required "coturn.publicHost is required when coturn.enabled is true" .Values.coturn.publicHost -}}
{{- $urls := list (printf "turn:%s:%d?transport=udp" $h (int .Values.coturn.ports.listening)) (printf "turn:%s:%d?transport=tcp" $h (int .Values.coturn.ports.listening)) -}}
{{- if .Values.coturn.tls.enabled -}}
{{- $urls = append $urls (printf "turns:%s:%d?transport=tcp" $h (int .Values.coturn.ports.tls)) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
{{- end -}}

{{/* Pod-level hardening shared by Hekim and the migration Job. */}}
{{- define "hekim.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "hekim.secretEnv" -}}
{{- $secret := include "hekim.secretName" . -}}
{{- range $name := list "DATABASE_URL" "REDIS_URL" "JWT_SECRET" "TURN_SECRET" "AUDIT_SIGNING_KEY" "DATA_ENCRYPTION_KEY" "PATIENT_DATA_MASTER_KEY" "PATIENT_DATA_INDEX_KEY" "ADMIN_EMAIL" "ADMIN_PASSWORD" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $name }}
{{- end }}
- name: METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: METRICS_TOKEN
      optional: true
- name: PATIENT_DATA_PREVIOUS_MASTER_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: PATIENT_DATA_PREVIOUS_MASTER_KEYS
      optional: true
{{- end -}}
