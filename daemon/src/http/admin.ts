/**
 * The admin API under /api/v1, behind a bearer token from server.adminToken (read on every request, so a
 * rotated token applies at once). No token configured: the API is off and says so.
 */
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import type { Job, RunIssue, RunRecord } from '../store/runs.js';
import type { TriggerOutcome } from '../daemon/runner.js';
import { bearerToken, tokenMatches } from './auth.js';
import { readJsonBody, sendError, sendJson } from './respond.js';

export interface AdminDeps {
  /** The configured token, or null when none is configured (API off). Throws when the reference cannot be read. */
  adminToken(): Promise<string | null>;
  integrations(): Promise<unknown[]>;
  hasIntegration(name: string): boolean;
  trigger(name: string, jobs: Job[]): TriggerOutcome;
  listRuns(filter: { integration?: string; job?: Job; limit?: number }): Promise<RunRecord[]>;
  getRun(id: number): Promise<(RunRecord & { issues: RunIssue[] }) | null>;
  /** exports.dir/<integration>/latest, or null for an unknown integration. */
  latestExportsDir(name: string): string | null;
  /** An admin's decision on a held run; throws a RosterdError (not found, not pending, stale plan, job running). */
  decideRun(id: number, decision: 'approve' | 'discard', by: string): Promise<{ appliedRunId?: number }>;
}

/** How a refused decision maps to HTTP. */
const DECISION_STATUS: Record<string, number> = { ROSTERD_RUN_NOT_FOUND: 404, ROSTERD_RUN_NOT_PENDING: 409, ROSTERD_PLAN_STALE: 409, ROSTERD_JOB_RUNNING: 409 };

const JOBS: Record<string, Job[]> = { classes: ['classes'], students: ['students'], all: ['classes', 'students'] };
/** How long POST .../syncs waits for a starting run to get its id before answering 202 without it. */
const START_WAIT_MS = 10_000;

export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let expected: string | null;
  try {
    expected = await deps.adminToken();
  } catch {
    return sendError(res, 503, 'ROSTERD_ADMIN_TOKEN_UNREADABLE', 'the admin token (server.adminToken) cannot be read now; see the daemon log and the secret it references');
  }
  if (expected === null) {
    return sendError(res, 404, 'ROSTERD_ADMIN_API_OFF', 'the admin API is off: set server.adminToken to a secret reference to turn it on');
  }
  const presented = bearerToken(req.headers.authorization);
  if (presented === null || !tokenMatches(presented, expected)) {
    return sendError(res, 401, 'ROSTERD_UNAUTHORIZED', 'send the admin token as "Authorization: Bearer TOKEN"', {}, { 'www-authenticate': 'Bearer realm="rosterd"' });
  }

  const parts = url.pathname.split('/').filter((p) => p !== '').slice(2).map(decodeURIComponent); // after api, v1
  const method = req.method ?? 'GET';

  if (parts.length === 1 && parts[0] === 'integrations' && method === 'GET') {
    return sendJson(res, 200, { integrations: await deps.integrations() });
  }
  if (parts.length === 3 && parts[0] === 'integrations' && parts[2] === 'syncs') {
    if (method !== 'POST') return sendError(res, 405, 'ROSTERD_METHOD_NOT_ALLOWED', 'use POST to start a sync', {}, { allow: 'POST' });
    return startSync(deps, req, res, parts[1]!);
  }
  if (parts.length >= 4 && parts[0] === 'integrations' && parts[2] === 'exports' && parts[3] === 'latest' && method === 'GET') {
    return serveExports(deps, res, parts[1]!, parts.slice(4));
  }
  if (parts.length === 1 && parts[0] === 'runs' && method === 'GET') {
    const job = url.searchParams.get('job');
    if (job !== null && job !== 'classes' && job !== 'students') return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `job must be classes or students, not "${job}"`);
    const limitRaw = url.searchParams.get('limit') ?? '50';
    const limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `limit must be a whole number from 1 to 1000, not "${limitRaw}"`);
    const runs = await deps.listRuns({ integration: url.searchParams.get('integration') ?? undefined, job: (job as Job | null) ?? undefined, limit });
    return sendJson(res, 200, { runs });
  }
  if (parts.length === 2 && parts[0] === 'runs' && method === 'GET') {
    const id = Number(parts[1]);
    if (!Number.isInteger(id) || id < 1) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `a run id is a whole number, not "${parts[1]}"`);
    const run = await deps.getRun(id);
    if (!run) return sendError(res, 404, 'ROSTERD_RUN_NOT_FOUND', `there is no run ${id} in the data log (it may be older than storage.retentionDays)`);
    return sendJson(res, 200, { run });
  }
  if (parts.length === 3 && parts[0] === 'runs' && (parts[2] === 'approve' || parts[2] === 'discard')) {
    if (method !== 'POST') return sendError(res, 405, 'ROSTERD_METHOD_NOT_ALLOWED', `use POST to ${parts[2]} a held run`, {}, { allow: 'POST' });
    return decide(deps, req, res, parts[1]!, parts[2]);
  }
  return sendError(res, 404, 'ROSTERD_NOT_FOUND', `no admin endpoint ${method} ${url.pathname}; see GET /api/v1/integrations, POST /api/v1/integrations/{name}/syncs, GET /api/v1/runs, GET /api/v1/runs/{id}, POST /api/v1/runs/{id}/approve, POST /api/v1/runs/{id}/discard, GET /api/v1/integrations/{name}/exports/latest`);
}

/** POST /api/v1/runs/{id}/approve|discard with an optional body {"by": "name"}: who decided goes into the data log. */
async function decide(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, rawId: string, decision: 'approve' | 'discard'): Promise<void> {
  const id = Number(rawId);
  if (!Number.isInteger(id) || id < 1) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `a run id is a whole number, not "${rawId}"`);
  const body = await readJsonBody(req);
  if (!body.ok) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', body.message);
  const by = (body.value as { by?: unknown } | null)?.by;
  if (by !== undefined && (typeof by !== 'string' || by.length === 0 || by.length > 200)) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', '"by" must be a name of 1 to 200 characters');
  try {
    const outcome = await deps.decideRun(id, decision, typeof by === 'string' ? `${by} (api)` : 'admin API');
    return sendJson(res, 200, { run: id, decision: decision === 'approve' ? 'approved' : 'discarded', ...outcome });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ROSTERD_INTERNAL';
    const status = DECISION_STATUS[code];
    if (status === undefined) throw err;
    return sendError(res, status, code, (err as Error).message);
  }
}

async function startSync(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const body = await readJsonBody(req);
  if (!body.ok) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', body.message);
  const raw = body.value === null ? 'all' : (body.value as { job?: unknown } | null)?.job ?? 'all';
  const jobs = typeof raw === 'string' ? JOBS[raw] : undefined;
  if (!jobs) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `"job" must be "classes", "students" or "all", not ${JSON.stringify(raw)}`);
  if (!deps.hasIntegration(name)) return sendError(res, 404, 'ROSTERD_INTEGRATION_NOT_FOUND', `there is no integration "${name}" in the config`);
  const outcome = deps.trigger(name, jobs);
  if (!outcome.ok) {
    switch (outcome.reason) {
      case 'busy':
        return sendError(res, 409, 'ROSTERD_JOB_RUNNING', `a ${outcome.busy?.join(' and ')} sync of ${name} is already running or queued; nothing was started`, { busy: outcome.busy });
      case 'disabled':
        return sendError(res, 409, 'ROSTERD_INTEGRATION_DISABLED', `integration "${name}" has enabled: false; enable it in the config to sync it`);
      case 'stopping':
        return sendError(res, 503, 'ROSTERD_SHUTTING_DOWN', 'the daemon is shutting down and starts no syncs');
      default:
        return sendError(res, 404, 'ROSTERD_INTEGRATION_NOT_FOUND', `there is no integration "${name}" in the config`);
    }
  }
  const { ticket } = outcome;
  // A request that starts now answers once its first run has an id (a worker thread and a store connection take a
  // moment); one queued behind a running job or the concurrency limit answers at once, its jobs pending.
  if (ticket.state === 'running') await Promise.race([ticket.started, new Promise((r) => setTimeout(r, START_WAIT_MS).unref())]);
  const started = ticket.runs.map((r) => ({ job: r.job, runId: r.runId }));
  const pending = ticket.jobs.filter((j) => !ticket.runs.some((r) => r.job === j));
  sendJson(res, 202, { integration: name, request: ticket.id, runIds: started.map((r) => r.runId), runs: started, pending }, { location: '/api/v1/runs' });
}

async function serveExports(deps: AdminDeps, res: ServerResponse, name: string, rest: string[]): Promise<void> {
  const dir = deps.latestExportsDir(name);
  if (dir === null) return sendError(res, 404, 'ROSTERD_INTEGRATION_NOT_FOUND', `there is no integration "${name}" in the config`);
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return sendError(res, 404, 'ROSTERD_NO_EXPORTS', `integration "${name}" has no export files yet: they are written after its first successful run`);
  }
  if (rest.length === 0) {
    const names = (await readdir(real)).filter((n) => !n.startsWith('.'));
    const files = [];
    for (const n of names.sort()) {
      const s = await stat(join(real, n));
      if (s.isFile()) files.push({ name: n, bytes: s.size, url: `/api/v1/integrations/${encodeURIComponent(name)}/exports/latest/${encodeURIComponent(n)}` });
    }
    return sendJson(res, 200, { integration: name, run: Number(real.split(sep).pop()), files });
  }
  const file = rest.join('/');
  if (rest.length !== 1 || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file)) return sendError(res, 400, 'ROSTERD_BAD_REQUEST', `"${file}" is not an export file name`);
  const path = join(real, file);
  const s = await stat(path).catch(() => null);
  if (!s || !s.isFile()) return sendError(res, 404, 'ROSTERD_NOT_FOUND', `the latest exports of "${name}" have no file "${file}"`);
  const type = file.endsWith('.csv') ? 'text/csv; charset=utf-8' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': String(s.size), 'content-disposition': `attachment; filename="${file}"` });
  createReadStream(path).pipe(res);
}
