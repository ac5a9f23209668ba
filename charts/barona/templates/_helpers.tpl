{{/*
Values added since chart 0.1.0, with their values.yaml defaults (keep the two equal; the test
test/chart/reuse-values.test.ts checks this list against values.yaml and every release in
releases.json). `helm upgrade --reuse-values` renders with the values of the release it upgrades
(that chart's values.yaml plus what was set then and now), not with this chart's values.yaml, so
these keys can be missing: "barona.fillDefaults" adds the missing ones.
*/}}
{{- define "barona.addedDefaults" -}}
app:
  trustProxy: ""
  dayStartsAt: "00:00"
  webhookAllowPrivateNetworks: false
  organisationName: Barona
  mailFrom: ""
  mailLanguage: en
metrics:
  port: 9090
  podAnnotations: true
auth:
  mode: token
  admin:
    password: ""
    existingSecret: ""
    existingSecretKey: admin-password
backup:
  enabled: false
  schedule: "30 2 * * *"
  timeZone: ""
  keep: 7
  startingDeadlineSeconds: 600
  backoffLimit: 1
  activeDeadlineSeconds: 3600
  persistence:
    existingClaim: ""
    size: 8Gi
    storageClass: ""
    accessModes:
      - ReadWriteOnce
  resources:
    requests:
      cpu: 50m
      memory: 128Mi
    limits:
      cpu: "1"
      memory: 384Mi
  cnpg:
    schedule: "0 30 2 * * *"
    method: barmanObjectStore
    immediate: true
    retentionPolicy: "30d"
    barmanObjectStore: {}
    volumeSnapshot: {}
database:
  bundled:
    superuser: postgres
  cnpg:
    pooler:
      enabled: false
      instances: 2
      parameters:
        default_pool_size: "20"
        max_client_conn: "1000"
        query_wait_timeout: "10"
        server_login_retry: "1"
networkPolicy:
  metricsFrom: []
  egress:
    enabled: true
    externalDatabaseTo: []
    extraRules: []
{{- end -}}

{{/*
Adds to .Values every key of "barona.addedDefaults" that it lacks, at any depth; a key that is
there keeps its value (false, 0 and "" included, unlike sprig's merge). The first line of every
template, so each one reads a complete values tree whatever release the values come from.
*/}}
{{- define "barona.fillDefaults" -}}
{{- include "barona.fillMissing" (dict "into" .Values "from" (include "barona.addedDefaults" . | fromYaml)) -}}
{{- end -}}

{{- define "barona.fillMissing" -}}
{{- $into := .into -}}
{{- range $key, $value := .from -}}
{{- if not (hasKey $into $key) -}}
{{- $_ := set $into $key $value -}}
{{- else if and (kindIs "map" $value) (kindIs "map" (index $into $key)) -}}
{{- include "barona.fillMissing" (dict "into" (index $into $key) "from" $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "barona.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the prefix of every resource name. */}}
{{- define "barona.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "barona.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels of every resource. Call with (dict "ctx" $ "component" "app").
*/}}
{{- define "barona.labels" -}}
{{ include "barona.podLabels" . }}
helm.sh/chart: {{ include "barona.chart" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Labels of pod templates: without helm.sh/chart, so a chart release that changes nothing in a
pod does not restart it. The database pods carry the PostgreSQL version, not the app's, so an
app upgrade never restarts PostgreSQL.
*/}}
{{- define "barona.podLabels" -}}
{{ include "barona.selectorLabels" . }}
app.kubernetes.io/version: {{ include "barona.componentVersion" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: barona
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{- define "barona.componentVersion" -}}
{{- if and (eq .component "database") (eq .ctx.Values.database.mode "bundled") -}}
{{- .ctx.Values.database.bundled.image.tag -}}
{{- else -}}
{{- include "barona.imageTag" .ctx -}}
{{- end -}}
{{- end -}}

{{/*
Selector labels: name + instance + component only, so selectors never change
between chart versions and two releases never select each other's pods.
*/}}
{{- define "barona.selectorLabels" -}}
app.kubernetes.io/name: {{ include "barona.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* metadata.annotations block with commonAnnotations plus extra ones (dict "ctx" $ "extra" map). */}}
{{- define "barona.annotations" -}}
{{- $all := merge (dict) (.extra | default dict) .ctx.Values.commonAnnotations -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "barona.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "barona.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The app image tag: image.tag, else the chart's appVersion. */}}
{{- define "barona.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{/* registry/repository:tag[@digest] (dict "registry" .. "repository" .. "tag" .. "digest" ..) */}}
{{- define "barona.imageRef" -}}
{{- $repo := .repository -}}
{{- if .registry -}}{{- $repo = printf "%s/%s" .registry .repository -}}{{- end -}}
{{- if .digest -}}
{{- printf "%s:%s@%s" $repo .tag .digest -}}
{{- else -}}
{{- printf "%s:%s" $repo .tag -}}
{{- end -}}
{{- end -}}

{{- define "barona.image" -}}
{{- include "barona.imageRef" (dict "registry" .Values.image.registry "repository" .Values.image.repository "tag" (include "barona.imageTag" .) "digest" .Values.image.digest) -}}
{{- end -}}

{{- define "barona.postgresImage" -}}
{{- $i := .Values.database.bundled.image -}}
{{- include "barona.imageRef" (dict "registry" $i.registry "repository" $i.repository "tag" $i.tag "digest" $i.digest) -}}
{{- end -}}

{{/* Names of the database pieces. */}}
{{- define "barona.postgresqlName" -}}
{{- printf "%s-postgresql" (include "barona.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "barona.cnpgClusterName" -}}
{{- printf "%s-db" (include "barona.fullname" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* The CloudNativePG Pooler in front of the Cluster (database.cnpg.pooler.enabled): "true" or "". */}}
{{- define "barona.cnpgPooler" -}}
{{- if and (eq .Values.database.mode "cnpg") .Values.database.cnpg.pooler.enabled -}}true{{- end -}}
{{- end -}}

{{- define "barona.cnpgPoolerName" -}}
{{- printf "%s-pooler" (include "barona.cnpgClusterName" .) -}}
{{- end -}}

{{/* Host and port the app connects to (bundled and external modes). */}}
{{- define "barona.databaseHost" -}}
{{- if eq .Values.database.mode "bundled" -}}
{{- include "barona.postgresqlName" . -}}
{{- else if eq .Values.database.mode "external" -}}
{{- required "database.external.host is required when database.mode=external" .Values.database.external.host -}}
{{- else -}}
{{- printf "%s-rw" (include "barona.cnpgClusterName" .) -}}
{{- end -}}
{{- end -}}

{{- define "barona.databasePort" -}}
{{- if eq .Values.database.mode "external" -}}
{{- .Values.database.external.port -}}
{{- else -}}
5432
{{- end -}}
{{- end -}}

{{- define "barona.databaseUser" -}}
{{- ternary .Values.database.cnpg.owner .Values.database.user (eq .Values.database.mode "cnpg") -}}
{{- end -}}

{{/* Secret and key holding the database password (bundled, external). */}}
{{- define "barona.databaseSecretName" -}}
{{- $db := ternary .Values.database.bundled .Values.database.external (eq .Values.database.mode "bundled") -}}
{{- if $db.existingSecret -}}
{{- $db.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "barona.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "barona.databaseSecretKey" -}}
{{- $db := ternary .Values.database.bundled .Values.database.external (eq .Values.database.mode "bundled") -}}
{{- if $db.existingSecret -}}
{{- $db.existingSecretKey -}}
{{- else -}}
password
{{- end -}}
{{- end -}}

{{/* Does the chart create the database password Secret? */}}
{{- define "barona.createDatabaseSecret" -}}
{{- if and (eq .Values.database.mode "bundled") (not .Values.database.bundled.existingSecret) -}}
true
{{- else if and (eq .Values.database.mode "external") (not .Values.database.external.existingSecret) -}}
true
{{- end -}}
{{- end -}}

{{/*
Auth values, grouped under auth.* since 0.1.0's app.authMode and admin.* (still read in this
release, deprecated). One row per moved key: its old place, its new place, and the default both
share. A value equal to that default counts as not set (so the old chart's defaults, which
`helm upgrade --reuse-values` carries over, never hide a new key).
*/}}
{{- define "barona.authMoves" -}}
- {old: app.authMode, new: auth.mode, default: token}
- {old: admin.password, new: auth.admin.password, default: "", secret: true}
- {old: admin.existingSecret, new: auth.admin.existingSecret, default: ""}
- {old: admin.existingSecretKey, new: auth.admin.existingSecretKey, default: admin-password}
{{- end -}}

{{/* The value at a dotted path of .values as JSON {"value": v}, or {} when it is not there. (dict "values" .Values "path" "a.b") */}}
{{- define "barona.valueAt" -}}
{{- $node := .values -}}
{{- $found := true -}}
{{- range splitList "." .path -}}
{{- if and $found (kindIs "map" $node) (hasKey $node .) -}}
{{- $node = index $node . -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if and $found (not (kindIs "invalid" $node)) -}}
{{- dict "value" $node | toJson -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}

{{/*
Every moved auth value, resolved, as JSON: {"values": {newKey: value}, "deprecated": [{old, new}]}.
The new key wins, else the old one, else the default; both set to different values fails naming
both (a password by name only). "deprecated" lists the old keys present in the values (NOTES.txt warns about them).
*/}}
{{- define "barona.authResolved" -}}
{{- $values := dict -}}
{{- $deprecated := list -}}
{{- range include "barona.authMoves" . | fromYamlArray -}}
{{- $old := include "barona.valueAt" (dict "values" $.Values "path" .old) | fromJson -}}
{{- $new := include "barona.valueAt" (dict "values" $.Values "path" .new) | fromJson -}}
{{- $oldSet := and (hasKey $old "value") (ne (toString $old.value) (toString .default)) -}}
{{- $newSet := and (hasKey $new "value") (ne (toString $new.value) (toString .default)) -}}
{{- if and $oldSet $newSet (ne (toString $old.value) (toString $new.value)) -}}
{{- $shown := ternary "" (printf " (%q and %q)" (toString $old.value) (toString $new.value)) (hasKey . "secret") -}}
{{- fail (printf "conflicting values: %s (deprecated, moved to %s) and %s differ%s; keep only %s" .old .new .new $shown .new) -}}
{{- end -}}
{{- $_ := set $values .new (ternary $new.value (ternary $old.value .default $oldSet) $newSet) -}}
{{- if hasKey $old "value" -}}
{{- $deprecated = append $deprecated (dict "old" .old "new" .new) -}}
{{- end -}}
{{- end -}}
{{- dict "values" $values "deprecated" $deprecated | toJson -}}
{{- end -}}

{{/* One resolved auth value by its new key (dict "ctx" $ "key" "auth.mode"). */}}
{{- define "barona.authValue" -}}
{{- index (include "barona.authResolved" .ctx | fromJson).values .key -}}
{{- end -}}

{{/* API authentication, env AUTH_MODE (auth.mode; was app.authMode). */}}
{{- define "barona.authMode" -}}
{{- include "barona.authValue" (dict "ctx" . "key" "auth.mode") -}}
{{- end -}}

{{/* The existing Secret holding the admin password and the bootstrap token (auth.admin.existingSecret; was admin.existingSecret); empty: the chart makes <fullname>-admin. */}}
{{- define "barona.adminExistingSecret" -}}
{{- include "barona.authValue" (dict "ctx" . "key" "auth.admin.existingSecret") -}}
{{- end -}}

{{/* The given admin password (auth.admin.password; was admin.password); empty: generated. */}}
{{- define "barona.adminPassword" -}}
{{- include "barona.authValue" (dict "ctx" . "key" "auth.admin.password") -}}
{{- end -}}

{{- define "barona.adminSecretName" -}}
{{- default (printf "%s-admin" (include "barona.fullname" .)) (include "barona.adminExistingSecret" .) -}}
{{- end -}}

{{- define "barona.adminSecretKey" -}}
{{- ternary (include "barona.authValue" (dict "ctx" . "key" "auth.admin.existingSecretKey")) "admin-password" (ne (include "barona.adminExistingSecret" .) "") -}}
{{- end -}}

{{/*
The bootstrap API token (the service registers it, hashed, at start; `helm test` sends it as a
Bearer token), from the app Secret: auth.admin.existingSecret or the chart's <fullname>-admin.
(dict "ctx" $ "name" envVarName)
*/}}
{{- define "barona.bootstrapTokenEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.adminSecretName" .ctx }}
      key: {{ .ctx.Values.auth.bootstrapTokenKey }}
{{- end -}}

{{/*
When the migration Job runs. pre-upgrade always. pre-install only with an external database
whose password is in a Secret made before the release (existingSecret): with the bundled or
CloudNativePG database the release itself creates the database, which a pre-install hook would
wait for forever, and a chart-made password Secret does not exist yet before install; then the
app pods' migrate initContainer does the first install's migration.
*/}}
{{- define "barona.migrationJobHook" -}}
{{- if and (eq .Values.database.mode "external") .Values.database.external.existingSecret -}}
pre-install,pre-upgrade
{{- else -}}
pre-upgrade
{{- end -}}
{{- end -}}

{{/*
A secret value that survives upgrades: the given value, else the one already in
the live Secret (lookup; `helm template` and --dry-run cannot see the cluster and
generate a new one), else `prefix` + `length` (32) random alphanumerics. Returns the base64 form.
(dict "ctx" $ "name" secretName "key" key "value" providedValue ["prefix" "brn_" "length" 43])
*/}}
{{- define "barona.secretValue" -}}
{{- if .value -}}
{{- .value | b64enc -}}
{{- else -}}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace .name -}}
{{- if and $live $live.data (hasKey $live.data .key) -}}
{{- index $live.data .key -}}
{{- else -}}
{{- printf "%s%s" (.prefix | default "") (randAlphaNum (.length | default 32 | int)) | b64enc -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Validation of combinations the schema cannot express. */}}
{{/* Every check of the values that the schema cannot express; called once, by templates/validate.yaml. */}}
{{- define "barona.validate" -}}
{{- $_ := include "barona.authResolved" . -}}
{{- if eq .Values.image.tag "latest" -}}
{{- fail "image.tag: \"latest\" is refused: it names whatever was pushed last, so pods of one release can run different code and a rollback cannot bring the old version back. Leave it empty (the chart's appVersion), set a version (x.y.z), or pin image.digest." -}}
{{- end -}}
{{- if eq .Values.database.bundled.image.tag "latest" -}}
{{- fail "database.bundled.image.tag: \"latest\" is refused: a restarted pod could come back on another PostgreSQL major version, which cannot read the existing data files. Pin a release such as 17.6-bookworm." -}}
{{- end -}}
{{- if and (eq .Values.database.mode "bundled") (eq .Values.database.user .Values.database.bundled.superuser) -}}
{{- fail (printf "database.user: %q is also database.bundled.superuser; the app's role must be an ordinary role, so name the superuser differently (e.g. database.bundled.superuser=postgres_admin)" .Values.database.user) -}}
{{- end -}}
{{- if and .Values.metrics.port (eq (int .Values.metrics.port) (int .Values.app.port)) -}}
{{- fail "metrics.port: must differ from app.port (0 serves /metrics on app.port)" -}}
{{- end -}}
{{- if and .Values.backup.enabled (eq .Values.database.mode "cnpg") (eq .Values.backup.cnpg.method "barmanObjectStore") (not .Values.backup.cnpg.barmanObjectStore.destinationPath) -}}
{{- fail "backup.cnpg.barmanObjectStore.destinationPath is required with backup.enabled, database.mode=cnpg and backup.cnpg.method=barmanObjectStore (e.g. s3://bucket/barona), with its credentials (e.g. backup.cnpg.barmanObjectStore.s3Credentials); or use backup.cnpg.method=volumeSnapshot" -}}
{{- end -}}
{{- if eq .Values.database.mode "external" -}}
{{- $_ := required "database.external.host is required when database.mode=external" .Values.database.external.host -}}
{{- if not (or .Values.database.external.existingSecret .Values.database.external.password) -}}
{{- fail "database.mode=external needs database.external.password or database.external.existingSecret" -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.database.mode "cnpg") (not .Values.database.cnpg.skipCapabilityCheck) (not (.Capabilities.APIVersions.Has "postgresql.cnpg.io/v1")) -}}
{{- fail "database.mode=cnpg needs the CloudNativePG operator (API postgresql.cnpg.io/v1 not found). Install it first, e.g. `helm repo add cnpg https://cloudnative-pg.github.io/charts && helm upgrade --install cnpg cnpg/cloudnative-pg -n cnpg-system --create-namespace`, or pass --api-versions postgresql.cnpg.io/v1 (or database.cnpg.skipCapabilityCheck=true) to helm template." -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret settings of the app: the ConfigMap's data, and (as plain env values) the migration
Job's environment, so the Job never depends on the ConfigMap of another revision.
*/}}
{{- define "barona.settings" -}}
HOST: "0.0.0.0"
PORT: {{ .Values.app.port | quote }}
APP_TIMEZONE: {{ .Values.app.timezone | quote }}
DAY_STARTS_AT: {{ .Values.app.dayStartsAt | quote }}
LOG_LEVEL: {{ .Values.app.logLevel | quote }}
AUTH_MODE: {{ include "barona.authMode" . | quote }}
{{- $trustProxy := .Values.app.trustProxy }}
{{- if and (not (kindIs "bool" $trustProxy)) (empty $trustProxy) }}
{{- $trustProxy = ternary "1" "" (or .Values.ingress.enabled .Values.httpRoute.enabled) }}
{{- end }}
{{- if or (kindIs "bool" $trustProxy) $trustProxy }}
TRUST_PROXY: {{ $trustProxy | toString | quote }}
{{- end }}
MIGRATE_ON_START: "false"
SHUTDOWN_DRAIN_SECONDS: {{ .Values.shutdown.drainSeconds | quote }}
SHUTDOWN_TIMEOUT_SECONDS: {{ .Values.shutdown.timeoutSeconds | quote }}
DATABASE_POOL_MAX: {{ .Values.app.databasePoolMax | quote }}
{{- if .Values.app.webhookAllowPrivateNetworks }}
WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true"
{{- end }}
ORGANISATION_NAME: {{ .Values.app.organisationName | quote }}
MAIL_LANGUAGE: {{ .Values.app.mailLanguage | quote }}
{{- if .Values.app.mailFrom }}
MAIL_FROM: {{ .Values.app.mailFrom | quote }}
{{- end }}
{{- if .Values.metrics.port }}
METRICS_PORT: {{ .Values.metrics.port | quote }}
{{- end }}
{{- if include "barona.cnpgPooler" . }}
{{- /* Through the Pooler: its Service, the Cluster's database and owner; the password and the direct URL from the <cluster>-app Secret. */}}
DATABASE_POOL_MODE: "transaction"
DATABASE_HOSTNAME: {{ include "barona.cnpgPoolerName" . | quote }}
DATABASE_PORT: "5432"
DATABASE_NAME: {{ .Values.database.cnpg.database | quote }}
DATABASE_USER: {{ .Values.database.cnpg.owner | quote }}
{{- else if ne .Values.database.mode "cnpg" }}
DATABASE_HOSTNAME: {{ include "barona.databaseHost" . | quote }}
DATABASE_PORT: {{ include "barona.databasePort" . | quote }}
DATABASE_NAME: {{ .Values.database.name | quote }}
DATABASE_USER: {{ .Values.database.user | quote }}
{{- end }}
{{- end -}}

{{/* The database credential: DATABASE_PASSWORD, or DATABASE_URL in cnpg mode (with the Pooler: the password
for the Pooler and DATABASE_DIRECT_URL to the primary); always a secretKeyRef. */}}
{{- define "barona.databaseEnv" -}}
{{- if include "barona.cnpgPooler" . }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.cnpgClusterName" . }}-app
      key: password
- name: DATABASE_DIRECT_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.cnpgClusterName" . }}-app
      key: uri
{{- else if eq .Values.database.mode "cnpg" }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.cnpgClusterName" . }}-app
      key: uri
{{- else }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.databaseSecretName" . }}
      key: {{ include "barona.databaseSecretKey" . }}
{{- end }}
{{- end -}}

{{/* The app's environment, shared by the app and its migrate initContainer. */}}
{{- define "barona.env" -}}
{{ include "barona.databaseEnv" . | trim }}
- name: ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "barona.adminSecretName" . }}
      key: {{ include "barona.adminSecretKey" . }}
{{ include "barona.bootstrapTokenEnv" (dict "ctx" . "name" "BOOTSTRAP_API_TOKEN") }}
{{- with .Values.app.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The migration container, `barona migrate`: one definition for the app pods' initContainer and the
hook Job. Call with (dict "ctx" $ "hook" true|false). In the hook Job the settings of this revision
come as plain values (nothing secret; the release's ConfigMap may not exist yet or still be the
previous revision's) and only the database credential as a secretKeyRef (the Job gets neither the
admin password nor the API token); in the app pods it shares the app's environment.
*/}}
{{- define "barona.migrateContainer" -}}
{{- $ctx := .ctx -}}
- name: migrate
  image: {{ include "barona.image" $ctx }}
  imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
  args: ["migrate"]
  {{- if .hook }}
  env:
    {{- range $name, $value := include "barona.settings" $ctx | fromYaml }}
    - name: {{ $name }}
      value: {{ $value | toString | quote }}
    {{- end }}
    {{- include "barona.databaseEnv" $ctx | trim | nindent 4 }}
    {{- with $ctx.Values.app.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- else }}
  envFrom:
    - configMapRef:
        name: {{ include "barona.fullname" $ctx }}
  env:
    {{- include "barona.env" $ctx | trim | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $ctx.Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml $ctx.Values.migrations.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{/* The bundled PostgreSQL's startup, readiness and liveness check (local, no password needed). */}}
{{- define "barona.postgresqlIsReady" -}}
exec:
  command: ["sh", "-c", "pg_isready --quiet --host=127.0.0.1 --username=\"$BARONA_DATABASE_USER\" --dbname=\"$BARONA_DATABASE_NAME\""]
{{- end -}}

{{/* Waits until the database accepts connections; pg_isready from the PostgreSQL image. */}}
{{- define "barona.waitForDatabaseContainer" -}}
- name: wait-for-database
  image: {{ include "barona.postgresImage" . }}
  imagePullPolicy: {{ .Values.database.bundled.image.pullPolicy }}
  command: ["sh", "-c"]
  args:
    - until pg_isready --quiet --timeout=5; do echo "waiting for $PGHOST:$PGPORT"; sleep 2; done
  env:
    # An explicit user: uid 1000 has no passwd entry in the PostgreSQL image.
    - name: PGUSER
      value: {{ include "barona.databaseUser" . | quote }}
    - name: PGHOST
      value: {{ include "barona.databaseHost" . | quote }}
    - name: PGPORT
      value: {{ include "barona.databasePort" . | quote }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests:
      cpu: 10m
      memory: 16Mi
    limits:
      cpu: 100m
      memory: 64Mi
{{- end -}}

{{/* Does the chart run the backup CronJob (backup.enabled, database not CloudNativePG's)? */}}
{{- define "barona.backupCronJob" -}}
{{- if and .Values.backup.enabled (ne .Values.database.mode "cnpg") -}}
true
{{- end -}}
{{- end -}}

{{/* The volume the backup CronJob writes to: backup.persistence.existingClaim or the chart's claim. */}}
{{- define "barona.backupClaimName" -}}
{{- default (printf "%s-backups" (include "barona.fullname" .)) .Values.backup.persistence.existingClaim -}}
{{- end -}}

{{/*
The backup container: `barona backup` to $BACKUP_DIR/barona-<UTC time>.backup.gz (written under a
temporary name and renamed when complete), then removes all but the newest $BACKUP_KEEP such files
(the names sort by time). Nothing is removed when the backup fails. The database settings and
credential are the app's (its ConfigMap and barona.databaseEnv).
*/}}
{{- define "barona.backupContainer" -}}
- name: backup
  image: {{ include "barona.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["sh", "-c"]
  args:
    - |
      set -eu
      file="$BACKUP_DIR/barona-$(date -u +%Y%m%dT%H%M%SZ).backup.gz"
      barona backup "$file"
      ls -1 "$BACKUP_DIR" | grep -E '^barona-[0-9]{8}T[0-9]{6}Z\.backup\.gz$' | sort -r | tail -n "+$((BACKUP_KEEP + 1))" |
        while read -r old; do rm -f -- "$BACKUP_DIR/$old"; echo "removed $old (keeping the newest $BACKUP_KEEP)"; done
  envFrom:
    - configMapRef:
        name: {{ include "barona.fullname" . }}
  env:
    - name: BACKUP_DIR
      value: /backups
    - name: BACKUP_KEEP
      value: {{ .Values.backup.keep | quote }}
    {{- include "barona.databaseEnv" . | trim | nindent 4 }}
    {{- with .Values.app.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.backup.resources | nindent 4 }}
  volumeMounts:
    - name: backups
      mountPath: /backups
    - name: tmp
      mountPath: /tmp
{{- end -}}
