// Shared helpers of the chart tests: the helm binary, rendering, and validation of
// rendered objects against the Kubernetes models (types and unknown fields).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = path.join(root, 'charts/barona');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Tools {
  helm: string;
  kubectl: string;
}

/**
 * helm and kubectl from .tools/bin. They are installed once, before any test file runs, by `npm test`
 * (scripts/test.ts runs scripts/install-helm.sh; scripts/ci-setup.sh does too): test files only look,
 * so parallel test files never race to install them. Returns a skip reason when they are not there;
 * under CI=true that is an error.
 */
export function findTools(): Tools | { skip: string } {
  const helm = path.join(root, '.tools/bin/helm');
  const kubectl = path.join(root, '.tools/bin/kubectl');
  if (existsSync(helm) && existsSync(kubectl)) return { helm, kubectl };
  const reason = `helm and kubectl are not in .tools/bin (bash scripts/install-helm.sh installs them; npm test runs it before the tests)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must have them`);
  return { skip: reason };
}

const found = findTools();
export const tools: Tools | undefined = 'skip' in found ? undefined : found;
/** Pass as the `skip` option of describe()/it(): false when helm is there. */
export const skipWithoutHelm: string | false = 'skip' in found ? found.skip : false;

export function helmTool(): string {
  if (!tools) throw new Error('helm missing');
  return tools.helm;
}

export function ciValuesFiles(): string[] {
  return readdirSync(path.join(root, 'ci'))
    .filter((name) => name.endsWith('-values.yaml'))
    .sort()
    .map((name) => path.join(root, 'ci', name));
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  set?: string[];
  chart?: string;
  skipTests?: boolean;
  extraArgs?: string[];
}

export function helm(args: string[]): string {
  return execFileSync(helmTool(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

export function renderText(options: RenderOptions = {}): string {
  const args = ['template', options.release ?? 'barona', options.chart ?? chartDir, '--namespace', options.namespace ?? 'barona-test'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const pair of options.set ?? []) args.push('--set', pair);
  if (options.skipTests) args.push('--skip-tests');
  args.push(...(options.extraArgs ?? []));
  return helm(args);
}

export function parseObjects(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

export function render(options: RenderOptions = {}): K8sObject[] {
  return parseObjects(renderText(options));
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return hit;
}

export const id = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

// ---------------------------------------------------------------------------------------------
// Validation. kubernetes-models checks types, enums and required fields but ignores unknown
// fields, so every object is also walked against the TypeScript declarations of its model:
// a key that the declared type does not have is reported (a typo such as `readinesProbe`
// would otherwise be dropped silently by the API server).

interface ModelRef {
  module: string;
  iface: string;
}

function modelRef(apiVersion: string, kind: string): ModelRef | undefined {
  if (apiVersion === 'postgresql.cnpg.io/v1') return { module: '', iface: `ICnpg${kind}` };
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'gateway.networking.k8s.io') {
    return { module: `@kubernetes-models/gateway-api/${group}/${version}/${kind}`, iface: `I${kind}` };
  }
  return { module: `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`, iface: `I${kind}` };
}

const KINDS: [string, string][] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['v1', 'Pod'],
  ['v1', 'Namespace'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['batch/v1', 'Job'],
  ['batch/v1', 'CronJob'],
  ['v1', 'PersistentVolumeClaim'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['postgresql.cnpg.io/v1', 'Cluster'],
  ['postgresql.cnpg.io/v1', 'ScheduledBackup'],
  ['postgresql.cnpg.io/v1', 'Pooler'],
];

// No published model exists for CloudNativePG; this is the subset of its ClusterSpec and
// ScheduledBackupSpec and PoolerSpec (field names from the CloudNativePG API reference) that the chart renders.
const CNPG_CLUSTER = `
type Meta = NonNullable<import('kubernetes-models/apps/v1/Deployment').IDeployment['metadata']>;
type Resources = import('kubernetes-models/v1/ResourceRequirements').IResourceRequirements;
export interface ICnpgCluster {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Cluster';
  metadata: Meta;
  spec: {
    instances: number;
    imageName?: string;
    bootstrap?: {
      initdb?: { database?: string; owner?: string; secret?: { name: string }; encoding?: string; localeCollate?: string; localeCType?: string };
    };
    storage?: { size?: string; storageClass?: string };
    resources?: Resources;
    inheritedMetadata?: { labels?: { [key: string]: string }; annotations?: { [key: string]: string } };
    backup?: {
      retentionPolicy?: string;
      barmanObjectStore?: {
        destinationPath: string;
        endpointURL?: string;
        serverName?: string;
        s3Credentials?: { [key: string]: unknown };
        azureCredentials?: { [key: string]: unknown };
        googleCredentials?: { [key: string]: unknown };
        endpointCA?: { name: string; key: string };
        wal?: { compression?: string; encryption?: string; maxParallel?: number };
        data?: { compression?: string; encryption?: string; jobs?: number; immediateCheckpoint?: boolean };
        tags?: { [key: string]: string };
        historyTags?: { [key: string]: string };
      };
      volumeSnapshot?: {
        className?: string;
        walClassName?: string;
        online?: boolean;
        onlineConfiguration?: { immediateCheckpoint?: boolean; waitForArchive?: boolean };
        snapshotOwnerReference?: 'none' | 'cluster' | 'backup';
        labels?: { [key: string]: string };
        annotations?: { [key: string]: string };
      };
    };
  };
}
export interface ICnpgPooler {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Pooler';
  metadata: Meta;
  spec: {
    cluster: { name: string };
    instances?: number;
    type?: 'rw' | 'ro' | 'r';
    pgbouncer: {
      poolMode?: 'session' | 'transaction';
      parameters?: { [key: string]: string };
      authQuery?: string;
      authQuerySecret?: { name: string };
      paused?: boolean;
    };
  };
}
export interface ICnpgScheduledBackup {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'ScheduledBackup';
  metadata: Meta;
  spec: {
    schedule: string;
    cluster: { name: string };
    method?: 'barmanObjectStore' | 'volumeSnapshot' | 'plugin';
    backupOwnerReference?: 'none' | 'self' | 'cluster';
    immediate?: boolean;
    suspend?: boolean;
    target?: 'primary' | 'prefer-standby';
  };
}
`;

interface Checker {
  checker: ts.TypeChecker;
  types: Map<string, ts.Type>;
}

let knownFields: Checker | undefined;

function loadKnownFields(): Checker {
  if (knownFields) return knownFields;
  const file = path.join(root, 'test/chart/__known-fields__.ts');
  const lines = [CNPG_CLUSTER];
  KINDS.forEach(([apiVersion, kind], index) => {
    const ref = modelRef(apiVersion, kind);
    if (!ref) return;
    const typeRef = ref.module ? `import('${ref.module}').${ref.iface}` : ref.iface;
    lines.push(`export declare const k${index}: ${typeRef};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    throw new Error(`model declarations: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText ?? '', '\n')}`);
  }
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error('virtual source missing');
  const types = new Map<string, ts.Type>();
  for (const statement of sf.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const decl = statement.declarationList.declarations[0];
    if (!decl || !ts.isIdentifier(decl.name)) continue;
    const index = Number(decl.name.text.slice(1));
    const [apiVersion, kind] = KINDS[index] ?? [];
    types.set(`${apiVersion}/${kind}`, checker.getTypeAtLocation(decl.name));
  }
  knownFields = { checker, types };
  return knownFields;
}

function walk(c: ts.TypeChecker, value: unknown, type: ts.Type, at: string, problems: string[]): void {
  if (value === null || value === undefined) return;
  type = c.getNonNullableType(type);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const members = type.isUnion() ? type.types : [type];
  if (Array.isArray(value)) {
    const arrayType = members.find((t) => c.isArrayType(t));
    if (!arrayType) {
      problems.push(`${at}: an array where the model has ${c.typeToString(type)}`);
      return;
    }
    const element = c.getTypeArguments(arrayType as ts.TypeReference)[0];
    if (element) value.forEach((item, i) => walk(c, item, element, `${at}/${i}`, problems));
    return;
  }
  if (typeof value !== 'object') {
    const accepts = members.some((t) => {
      if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
      if (typeof value === 'string') return (t.flags & ts.TypeFlags.StringLike) !== 0;
      if (typeof value === 'number') return (t.flags & ts.TypeFlags.NumberLike) !== 0;
      if (typeof value === 'boolean') return (t.flags & ts.TypeFlags.BooleanLike) !== 0;
      return false;
    });
    if (!accepts) problems.push(`${at}: ${typeof value} where the model has ${c.typeToString(type)}`);
    return;
  }
  const objects = members.filter((t) => (t.flags & ts.TypeFlags.Object) !== 0 && !c.isArrayType(t));
  if (objects.length === 0) {
    problems.push(`${at}: an object where the model has ${c.typeToString(type)}`);
    return;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    let childType: ts.Type | undefined;
    let open = false;
    for (const t of objects) {
      const property = t.getProperty(key);
      if (property) {
        childType = c.getTypeOfSymbol(property);
        break;
      }
      const index = t.getStringIndexType();
      if (index) {
        childType = index;
        break;
      }
      if (c.getPropertiesOfType(t).length === 0) open = true; // `{}`: free-form JSON
    }
    if (childType) walk(c, child, childType, `${at}/${key}`, problems);
    else if (!open) problems.push(`${at}/${key}: unknown field`);
  }
}

type ModelClass = new (data: unknown) => { validate(): void };
const modelClasses = new Map<string, ModelClass>();

async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const ref = modelRef(apiVersion, kind);
  if (!ref?.module) return undefined;
  const key = `${apiVersion}/${kind}`;
  if (!modelClasses.has(key)) {
    const mod = (await import(ref.module)) as Record<string, ModelClass>;
    const cls = mod[kind];
    if (!cls) throw new Error(`${ref.module} has no ${kind}`);
    modelClasses.set(key, cls);
  }
  return modelClasses.get(key);
}

/** Problems of one object: model validation errors plus unknown fields. Empty when valid. */
export async function validateObject(object: K8sObject): Promise<string[]> {
  const key = `${object.apiVersion}/${object.kind}`;
  const { checker, types } = loadKnownFields();
  const type = types.get(key);
  if (!type) return [`${id(object)}: no model known for ${key}`];
  const problems: string[] = [];
  const cls = await modelClass(object.apiVersion, object.kind);
  if (cls) {
    try {
      new cls(object).validate();
    } catch (error) {
      problems.push(`${id(object)}: ${(error as Error).message}`);
    }
  }
  const unknown: string[] = [];
  walk(checker, object, type, '', unknown);
  problems.push(...unknown.map((p) => `${id(object)}: ${p}`));
  return problems;
}

/** Every container spec (init and regular) of a workload or pod, with the pod spec it is in. */
export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  const template = spec.template as { spec?: Record<string, unknown> } | undefined;
  if (template?.spec) return template.spec;
  const jobTemplate = spec.jobTemplate as { spec?: { template?: { spec?: Record<string, unknown> } } } | undefined;
  return jobTemplate?.spec?.template?.spec;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: Record<string, unknown>;
  startupProbe?: { httpGet?: { path: string; port: number | string }; exec?: unknown };
  readinessProbe?: { httpGet?: { path: string; port: number | string }; exec?: unknown };
  livenessProbe?: { httpGet?: { path: string; port: number | string }; exec?: unknown };
}

export function containersOf(object: K8sObject): { init: ContainerSpec[]; main: ContainerSpec[] } {
  const spec = podSpecOf(object);
  return {
    init: (spec?.initContainers as ContainerSpec[] | undefined) ?? [],
    main: (spec?.containers as ContainerSpec[] | undefined) ?? [],
  };
}

export type Env = Record<string, string>;

/** The container's environment as the kubelet would build it from the rendered objects. */
export function resolveEnv(container: ContainerSpec, objects: K8sObject[]): Env {
  const configMap = (name: string) => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    assert.ok(cm, `ConfigMap ${name} referenced by ${container.name} is not rendered`);
    return (cm.data as Env | undefined) ?? {};
  };
  const secretValue = (name: string, key: string) => {
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    assert.ok(secret, `Secret ${name} referenced by ${container.name} does not exist`);
    const data = (secret.data as Env | undefined) ?? {};
    assert.ok(key in data, `Secret ${name} has no key ${key}`);
    return Buffer.from(data[key]!, 'base64').toString('utf8');
  };
  const env: Env = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMap(source.configMapRef.name));
    if (source.secretRef) throw new Error('envFrom secretRef is not used by this chart');
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.valueFrom?.secretKeyRef)
      env[entry.name] = secretValue(entry.valueFrom.secretKeyRef.name, entry.valueFrom.secretKeyRef.key);
    else if (entry.valueFrom?.configMapKeyRef) {
      const value = configMap(entry.valueFrom.configMapKeyRef.name)[entry.valueFrom.configMapKeyRef.key];
      assert.ok(value !== undefined, `${entry.name}: key missing`);
      env[entry.name] = value;
    } else throw new Error(`${container.name}: env ${entry.name} has no value`);
  }
  return env;
}
