/**
 * A small, scriptable OneRoster server on 127.0.0.1 for the client tests: real HTTP, real sockets,
 * with hooks to inject the misbehaviour one test needs. (The full simulated SIS lives in daemon/src/sim.)
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SisConfig } from '../../daemon/src/config/types.js';

export interface RecordedRequest {
  method: string;
  path: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Hook = (req: RecordedRequest, res: ServerResponse, sis: FakeSis) => boolean | Promise<boolean>;

export interface FakeSisOptions {
  collections?: Record<string, unknown[]>;
  /** The largest page the server sends, whatever `limit` asks. */
  clampLimit?: number;
  totalCount?: boolean;
  link?: boolean;
  clientId?: string;
  clientSecret?: string;
  /** expires_in of issued tokens; null leaves it out of the response. */
  expiresIn?: number | null;
  /** Runs first on every request; returning true means the hook answered. */
  hook?: Hook;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
}

export interface FakeSis {
  origin: string;
  tokenUrl: string;
  urlPrefix: string;
  requests: RecordedRequest[];
  tokensIssued: string[];
  /** Tokens the data endpoints accept; tests may delete from it to simulate early expiry. */
  validTokens: Set<string>;
  options: FakeSisOptions;
  close(): Promise<void>;
}

export const PREFIX_PATH = '/ims/oneroster/rostering/v1p2';

export async function startServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => unknown,
  tls?: { key: Buffer; cert: Buffer },
): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handle(req, res, Buffer.concat(chunks).toString('utf8'))).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startFakeSis(options: FakeSisOptions = {}): Promise<FakeSis> {
  let counter = 0;
  const sis: FakeSis = {
    origin: '',
    tokenUrl: '',
    urlPrefix: '',
    requests: [],
    tokensIssued: [],
    validTokens: new Set(),
    options,
    close: async () => {},
  };

  const started = await startServer(async (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, url, headers: req.headers, body };
    sis.requests.push(recorded);
    if (options.hook && (await options.hook(recorded, res, sis))) return;

    if (url.pathname === '/oauth/token') {
      const form = new URLSearchParams(body);
      let id: string | null = null;
      let secret: string | null = null;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const [u = '', p = ''] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
        id = decodeURIComponent(u.replace(/\+/g, ' '));
        secret = decodeURIComponent(p.replace(/\+/g, ' '));
      } else if (form.has('client_id')) {
        id = form.get('client_id');
        secret = form.get('client_secret');
      }
      if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
      // Read at request time, so a test can rotate the secret on a running server.
      if (id !== (options.clientId ?? 'rosterd-test') || secret !== (options.clientSecret ?? 'test-secret')) return json(res, 401, { error: 'invalid_client' });
      const token = `tok-${++counter}`;
      sis.tokensIssued.push(token);
      sis.validTokens.add(token);
      const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
      return json(res, 200, { access_token: token, token_type: 'Bearer', ...(expiresIn === null ? {} : { expires_in: expiresIn }) });
    }

    if (!url.pathname.startsWith(PREFIX_PATH + '/')) return json(res, 404, { error: 'not found' });
    const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!sis.validTokens.has(bearer)) return json(res, 401, { error: 'invalid_token' });

    const segments = url.pathname.slice(PREFIX_PATH.length + 1).split('/');
    const collection = segments[0] ?? '';
    const all = options.collections?.[collection];
    if (!all) return json(res, 404, { error: 'unknown collection' });
    if (segments.length === 2) {
      const found = all.find((r) => (r as { sourcedId?: string }).sourcedId === decodeURIComponent(segments[1]!));
      if (!found) return json(res, 404, {});
      return json(res, 200, { [singular(collection)]: found });
    }
    const sorted = [...all].sort((a, b) => String((a as { sourcedId?: string }).sourcedId).localeCompare(String((b as { sourcedId?: string }).sourcedId)));
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), options.clampLimit ?? Infinity);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const page = sorted.slice(offset, offset + limit);
    const headers: Record<string, string> = {};
    if (options.totalCount !== false) headers['x-total-count'] = String(sorted.length);
    if (options.link !== false) {
      const links: string[] = [];
      const base = `${sis.origin}${url.pathname}`;
      if (offset + limit < sorted.length) links.push(`<${base}?limit=${limit}&offset=${offset + limit}>; rel="next"`);
      links.push(`<${base}?limit=${limit}&offset=${Math.max(0, Math.floor((sorted.length - 1) / limit) * limit)}>; rel="last"`);
      headers['link'] = links.join(', ');
    }
    return json(res, 200, { [collection]: page }, headers);
  }, options.tls);

  sis.origin = started.origin;
  sis.tokenUrl = `${started.origin}/oauth/token?app=rosterd`;
  sis.urlPrefix = `${started.origin}${PREFIX_PATH}`;
  sis.close = started.close;
  return sis;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
  return true;
}

function singular(collection: string): string {
  return ({ orgs: 'org', academicSessions: 'academicSession', courses: 'course', classes: 'class', users: 'user', enrollments: 'enrollment' } as Record<string, string>)[collection] ?? collection;
}

export function sisConfig(sis: { tokenUrl: string; urlPrefix: string }, overrides: Partial<SisConfig> = {}): SisConfig {
  return {
    version: '1.2',
    tokenUrl: sis.tokenUrl,
    urlPrefix: sis.urlPrefix,
    clientId: 'rosterd-test',
    clientSecret: { env: 'ROSTERD_TEST_SECRET' },
    orgId: 'district-1',
    clientAuth: 'basic',
    scopes: ['https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly'],
    pageSize: 10,
    timeoutSeconds: 5,
    ...overrides,
  };
}

/** Fast retries for tests: a few milliseconds of backoff, Retry-After capped at 1 s. */
export const fastRetry = { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 1000 };

export function users(n: number, prefix = 'u'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    sourcedId: `${prefix}${String(i).padStart(4, '0')}`,
    status: 'active',
    dateLastModified: '2025-05-01T05:00:20.097Z',
    enabledUser: 'true',
    givenName: `Given${i}`,
    familyName: `Family${i}`,
    email: `${prefix}${i}@school.example`,
    username: `${prefix}${i}`,
    roles: [{ roleType: 'primary', role: 'student', org: { href: '~/orgs/s1', sourcedId: 's1', type: 'org' } }],
    primaryOrg: { sourcedId: 's1' },
  }));
}

/** Every record of a client read, pages flattened. */
export async function readAll<T>(gen: AsyncGenerator<T[], unknown>): Promise<{ records: T[]; pages: number; summary: unknown }> {
  const records: T[] = [];
  let pages = 0;
  for (;;) {
    const step = await gen.next();
    if (step.done) return { records, pages, summary: step.value };
    pages++;
    records.push(...step.value);
  }
}
