#!/usr/bin/env node
// Validates rendered Kubernetes manifests (the output of `kubectl kustomize`), offline:
//  1. schema: every object against its Kubernetes / Prometheus Operator schema (kubernetes-models@4);
//  2. strict fields: the schemas allow unknown fields, so a typo such as `readOnlyRootFileSystem` would
//     pass silently; every object is also type-checked as an object literal against the models'
//     TypeScript interfaces, whose excess-property check names any field Kubernetes does not know;
//  3. rosterd's own rules: the hardening, probes and single-writer settings the docs promise.
// Usage: kubectl kustomize deploy/overlays/example | node scripts/validate-manifests.mjs [-] [FILE ...]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where each apiVersion's models live. */
function modelModule(apiVersion) {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

function readInputs(args) {
  const sources = args.length === 0 ? ['-'] : args;
  return sources.flatMap((src) => {
    const text = readFileSync(src === '-' ? 0 : src, 'utf8');
    return parseAllDocuments(text).map((d, i) => {
      if (d.errors.length > 0) throw new Error(`${src}: document ${i + 1}: ${d.errors[0].message}`);
      return { src, obj: d.toJS() };
    }).filter((d) => d.obj);
  });
}

const name = (o) => `${o.kind}/${o.metadata?.name ?? '?'}`;

async function schemaErrors(docs) {
  const errors = [];
  for (const { obj } of docs) {
    if (!obj.apiVersion || !obj.kind) { errors.push(`${name(obj)}: no apiVersion or kind`); continue; }
    let Model;
    try {
      Model = (await import(`${modelModule(obj.apiVersion)}/${obj.kind}`))[obj.kind];
    } catch {
      errors.push(`${name(obj)}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      errors.push(`${name(obj)}: ${e.message}`);
    }
  }
  return errors;
}

function strictFieldErrors(docs) {
  // Written inside node_modules/.cache so the models resolve from the project's node_modules.
  const dir = join(ROOT, 'node_modules', '.cache', 'rosterd-validate-manifests');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'manifests.ts');
  const lines = [];
  docs.forEach(({ obj }, i) => {
    lines.push(`import type { I${obj.kind} as T${i} } from '${modelModule(obj.apiVersion)}/${obj.kind}';`);
  });
  // Where each object starts in the source, so a diagnostic maps back to its object.
  const starts = [];
  let source = lines.join('\n');
  docs.forEach(({ obj }, i) => {
    source += '\n';
    starts.push({ offset: source.length, what: name(obj) });
    source += `export const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};`;
  });
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  });
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
  const errors = diags.map((d) => {
    const pos = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const owner = [...starts].reverse().find((s) => s.offset <= (d.start ?? 0));
    const flat = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const field = source.split('\n')[pos.line].trim().slice(0, 80);
    return `${owner?.what ?? '?'}: ${flat.replace(/\s+/g, ' ').slice(0, 300)} (at ${field})`;
  });
  rmSync(dir, { recursive: true, force: true });
  return errors;
}

/** rosterd's promises about its pod; each is documented in deploy/base/deployment.yaml or docs/kubernetes.md. */
function policyErrors(docs) {
  const errors = [];
  const objs = docs.map((d) => d.obj);
  const find = (kind) => objs.filter((o) => o.kind === kind);
  const deployments = find('Deployment');
  if (deployments.length !== 1) return [`expected exactly one Deployment, found ${deployments.length}`];
  const dep = deployments[0];
  const at = (msg) => errors.push(`${name(dep)}: ${msg}`);
  const spec = dep.spec;
  const pod = spec.template.spec;
  if (spec.replicas !== 1) at('replicas must be 1 (SQLite has one writer)');
  if (spec.strategy?.type !== 'Recreate') at('strategy.type must be Recreate (never two pods on one SQLite file)');
  if (pod.automountServiceAccountToken !== false) at('automountServiceAccountToken must be false');
  const psc = pod.securityContext ?? {};
  if (psc.runAsNonRoot !== true || !(psc.runAsUser > 0)) at('pod must run as a non-root numeric user');
  const c = pod.containers.find((x) => x.name === 'rosterd');
  if (!c) return [...errors, `${name(dep)}: no container named rosterd`];
  const sc = c.securityContext ?? {};
  if (sc.readOnlyRootFilesystem !== true) at('readOnlyRootFilesystem must be true');
  if (sc.allowPrivilegeEscalation !== false) at('allowPrivilegeEscalation must be false');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) at('capabilities must drop ALL');
  if (c.livenessProbe?.httpGet?.path !== '/livez') at('livenessProbe must GET /livez');
  if (c.readinessProbe?.httpGet?.path !== '/readyz') at('readinessProbe must GET /readyz');
  if (!c.resources?.requests?.memory || !c.resources?.limits?.memory) at('memory request and limit must be set');
  const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  for (const path of ['/etc/rosterd', '/var/run/secrets/rosterd', '/var/lib/rosterd', '/tmp']) if (!mounts.has(path)) at(`no volume mounted at ${path}`);
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) at(`volumeMount ${m.name} has no volume`);
  // Every ConfigMap and PVC the pod names must be in the render (the secret is created outside Git).
  const names = (kind) => new Set(find(kind).map((o) => o.metadata.name));
  for (const v of volumes.values()) {
    if (v.configMap && !names('ConfigMap').has(v.configMap.name)) at(`volume ${v.name}: ConfigMap ${v.configMap.name} is not rendered`);
    if (v.persistentVolumeClaim && !names('PersistentVolumeClaim').has(v.persistentVolumeClaim.claimName)) at(`volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} is not rendered`);
  }
  // The config the pod mounts must listen where the probes look and stop before Kubernetes kills it.
  const configVolume = volumes.get(mounts.get('/etc/rosterd')?.name ?? '');
  const cm = find('ConfigMap').find((o) => o.metadata.name === configVolume?.configMap?.name);
  const configText = cm?.data?.['oneroster.yaml'];
  if (!configText) at('the mounted ConfigMap has no oneroster.yaml');
  else {
    const config = parse(configText);
    const port = Number(String(config.server?.listen ?? '').split(':').pop());
    const httpPort = c.ports?.find((p) => p.name === 'http')?.containerPort;
    if (!String(config.server?.listen ?? '').startsWith('0.0.0.0:')) at('the config must listen on 0.0.0.0 (probes and Prometheus come from outside the pod)');
    if (port !== httpPort) at(`the config listens on port ${port}, the container port "http" is ${httpPort}`);
    const grace = config.daemon?.shutdownGraceSeconds ?? 25;
    if (!(pod.terminationGracePeriodSeconds > grace)) at(`terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds}) must be above daemon.shutdownGraceSeconds (${grace})`);
    if (!String(config.storage?.url ?? '').startsWith('sqlite:/var/lib/rosterd/')) at('storage.url must be on the data volume (/var/lib/rosterd)');
    if (!String(config.exports?.dir ?? '').startsWith('/var/lib/rosterd/')) at('exports.dir must be on the data volume (/var/lib/rosterd)');
  }
  const svc = find('Service')[0];
  if (!svc?.spec?.ports?.some((p) => p.name === 'http')) errors.push('the Service needs a port named http');
  const sm = find('ServiceMonitor')[0];
  if (!sm) errors.push('no ServiceMonitor rendered');
  else if (!sm.spec.endpoints?.some((e) => e.port === 'http' && e.path === '/metrics')) errors.push(`${name(sm)}: must scrape port http at /metrics`);
  if (find('PrometheusRule').length !== 1) errors.push('expected exactly one PrometheusRule');
  return errors;
}

const docs = readInputs(process.argv.slice(2));
if (docs.length === 0) {
  console.error('validate-manifests: no objects in the input');
  process.exit(1);
}
const errors = [...(await schemaErrors(docs)), ...strictFieldErrors(docs), ...policyErrors(docs)];
for (const e of errors) console.error(`invalid: ${e}`);
if (errors.length > 0) process.exit(1);
console.log(`validate-manifests: ${docs.length} objects valid (${docs.map((d) => d.obj.kind).join(', ')})`);
