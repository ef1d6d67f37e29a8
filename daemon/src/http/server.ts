/**
 * The daemon's one HTTP port: /livez, /readyz, /healthz, /metrics, POST /-/reload and the admin API.
 * Handlers only read in-memory state or run short store reads; syncs run in worker threads, so these answer
 * promptly while a large district syncs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { RosterdError } from '../errors.js';
import { errorFields } from '../logging/logger.js';
import { handleAdmin, type AdminDeps } from './admin.js';
import type { DaemonMetrics } from './metrics.js';
import { sendError, sendJson } from './respond.js';

export interface HttpDeps {
  metrics: DaemonMetrics;
  logger: Logger;
  isReady(): boolean;
  health(): Promise<unknown>;
  reload(source: string): Promise<{ ok: true; checksum: string } | { ok: false; problems: string[] }>;
  admin: AdminDeps;
}

export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ method: req.method, path: pathOf(req), ...errorFields(err) }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 500, 'ROSTERD_INTERNAL', 'internal error; see the daemon log');
      else res.destroy();
    });
  });
  // Probes and scrapes keep connections open; do not let them hold the process at shutdown.
  server.keepAliveTimeout = 5_000;
  return server;
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://rosterd.invalid').pathname;
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://rosterd.invalid');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const get = method === 'GET' || method === 'HEAD';

  if (path === '/livez' && get) {
    // Answering at all proves the event loop turns: that is what liveness means here.
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('ok\n');
    return;
  }
  if (path === '/readyz' && get) {
    const ready = deps.isReady();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(ready ? 'ready\n' : 'not ready: config or store not loaded yet, or shutting down\n');
    return;
  }
  if (path === '/metrics' && get) {
    const text = await deps.metrics.text();
    res.writeHead(200, { 'content-type': deps.metrics.contentType });
    res.end(text);
    return;
  }
  if (path === '/healthz' && get) {
    if (!deps.isReady()) return sendError(res, 503, 'ROSTERD_NOT_READY', 'the daemon is starting or stopping');
    return sendJson(res, 200, await deps.health());
  }
  if (path === '/-/reload') {
    if (method !== 'POST' && method !== 'PUT') return sendError(res, 405, 'ROSTERD_METHOD_NOT_ALLOWED', 'use POST /-/reload', {}, { allow: 'POST, PUT' });
    const result = await deps.reload('http');
    if (result.ok) return sendJson(res, 200, { status: 'reloaded', checksum: result.checksum });
    return sendError(res, 422, 'ROSTERD_CONFIG_INVALID', 'the new config has problems; the daemon keeps the last good config', { problems: result.problems });
  }
  if (path === '/api/v1' || path.startsWith('/api/v1/')) return handleAdmin(deps.admin, req, res, url);
  if (['/livez', '/readyz', '/metrics', '/healthz'].includes(path)) {
    return sendError(res, 405, 'ROSTERD_METHOD_NOT_ALLOWED', `use GET ${path}`, {}, { allow: 'GET, HEAD' });
  }
  return sendError(res, 404, 'ROSTERD_NOT_FOUND', `no endpoint at ${path}; see /livez, /readyz, /healthz, /metrics, /api/v1`);
}

/** Listens on "HOST:PORT" (port 0 picks a free one); rejects with a clear error when the port is taken. */
export function listen(server: Server, listenOn: string): Promise<{ host: string; port: number }> {
  const i = listenOn.lastIndexOf(':');
  const host = listenOn.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listenOn.slice(i + 1));
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new RosterdError('ROSTERD_LISTEN_FAILED', `cannot listen on ${listenOn} (server.listen): ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.code ?? err.message}`, {
          hint: 'stop the other process on that port or change server.listen.',
          dataEffect: 'nothing changed',
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      resolve({ host: addr.address, port: addr.port });
    });
  });
}
