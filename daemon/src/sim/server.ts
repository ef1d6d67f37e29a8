/**
 * The simulated SIS's HTTP server: token endpoint, OneRoster data paths, paging headers and the faults.
 * Pages are serialised record by record straight from the index-addressed generator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { District } from './district.js';
import { DEFAULT_FAULTS, type Faults } from './faults.js';
import { matches, parseFields, parseFilter, QueryError, selectFields, sortKey, type Filter } from './query.js';
import { resolve, type Collection } from './routes.js';
import { PREFIX_PATH, Shaper, type Json, type OneRosterVersion } from './shapes.js';
import { bearerToken, scopesFor, TokenIssuer } from './tokens.js';

export const TOKEN_PATH = '/oauth/token';
/** Largest page the sim serves even without a clamp fault (protects the sim from limit=10000000). */
const MAX_LIMIT = 10_000;

type CodeMinor = 'invalid_filter_field' | 'invalid_selection_field' | 'invaliddata' | 'unauthorisedrequest' | 'forbidden' | 'server_busy' | 'unknownobject' | 'internal_server_error';

export interface SimServerOptions {
  version: OneRosterVersion;
  district: District;
  clientId: string;
  clientSecret: string;
  faults: Faults;
  debug?: (line: string) => void;
}

export class SimServer {
  readonly server: Server;
  faults: Faults;
  /** Data requests seen (the token endpoint not included): faults count on this. */
  requests = 0;
  private baseUrl = '';
  private shaper: Shaper | null = null;
  private readonly tokens: TokenIssuer;
  private readonly scopes: ReturnType<typeof scopesFor>;
  private readonly prefixPath: string;
  /** stickySessions: the node that issued each token, and how many nodes have been handed out. */
  private readonly tokenNodes = new Map<string, number>();
  private nodes = 0;

  constructor(private readonly options: SimServerOptions) {
    this.faults = { ...DEFAULT_FAULTS, ...options.faults };
    this.tokens = new TokenIssuer(options.version, options.clientId, options.clientSecret);
    this.scopes = scopesFor(options.version);
    this.prefixPath = PREFIX_PATH[options.version];
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.status(res, 500, 'internal_server_error', `simulated SIS fault: ${(err as Error).message}`);
        else res.destroy();
      });
    });
    // Keep-alive sockets would hold close() open; the sim closes them itself.
    this.server.keepAliveTimeout = 5_000;
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url;
    this.shaper = new Shaper(this.options.version, url + this.prefixPath, this.options.district);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    this.options.debug?.(`${req.method} ${url.pathname}`);
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));

    if (url.pathname === TOKEN_PATH) return this.token(req, res);
    if (!url.pathname.startsWith(this.prefixPath + '/')) {
      return this.status(res, 404, 'unknownobject', `no OneRoster ${this.options.version} endpoint at ${url.pathname}; the prefix is ${this.prefixPath}`);
    }

    const node = this.stickyNode(req, res);
    this.requests++;
    const n = this.requests;
    const every = (k: number | null) => k !== null && k > 0 && n % k === 0;
    if (every(this.faults.resetEvery)) {
      req.socket.destroy();
      return;
    }
    if (every(this.faults.unavailableEvery)) return this.status(res, 503, 'server_busy', 'service unavailable (simulated)');
    if (every(this.faults.rateLimitEvery)) {
      return this.status(res, 429, 'server_busy', 'too many requests (simulated)', { 'retry-after': String(this.faults.retryAfterSeconds) });
    }
    if (req.method !== 'GET') return this.status(res, 405, 'invaliddata', 'OneRoster rostering paths are read-only: use GET');

    const granted = this.tokens.check(req.headers.authorization);
    if (granted === 'missing' || granted === 'expired') {
      return this.status(res, 401, 'unauthorisedrequest', granted === 'missing' ? 'a bearer token is required' : 'the access token is invalid or expired', {
        'www-authenticate': granted === 'missing' ? 'Bearer realm="oneroster-sim"' : 'Bearer realm="oneroster-sim", error="invalid_token"',
      });
    }
    if (node !== null && this.tokenNodes.get(bearerToken(req.headers.authorization) ?? '') !== node) {
      return this.status(res, 401, 'unauthorisedrequest', `the access token is not known on node ${node} (simulated load balancer: send the SIMLB cookie back)`, {
        'www-authenticate': 'Bearer realm="oneroster-sim", error="invalid_token"',
      });
    }
    if (this.faults.htmlResponses) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post" action="/login"><input name="user"><input name="password" type="password"></form></body></html>');
      return;
    }

    const segments = url.pathname.slice(this.prefixPath.length + 1).split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    const resolved = resolve(this.options.district, this.shaper as Shaper, segments);
    const nested = resolved.kind === 'collection' && resolved.collection.nested;
    if (!granted.has(this.scopes.core) || (nested && !granted.has(this.scopes.roster))) {
      return this.status(res, 403, 'forbidden', `the token lacks the scope ${!granted.has(this.scopes.core) ? this.scopes.core : this.scopes.roster}`);
    }
    if (resolved.kind === 'notFound') return this.status(res, 404, 'unknownobject', `not found: ${resolved.what}`);
    let fields: string[] | null;
    try {
      fields = parseFields(url.searchParams.get('fields'));
    } catch {
      fields = null;
    }
    if (resolved.kind === 'single') {
      return this.json(res, 200, {}, JSON.stringify({ [resolved.single.envelope]: selectFields(resolved.single.record, fields) }));
    }
    try {
      this.page(res, url, resolved.collection, fields);
    } catch (err) {
      if (err instanceof QueryError) return this.status(res, 400, err.codeMinor, err.message);
      throw err;
    }
  }

  private page(res: ServerResponse, url: URL, c: Collection, fields: string[] | null): void {
    const q = url.searchParams;
    const limitRaw = q.get('limit');
    const offsetRaw = q.get('offset');
    const limitAsked = limitRaw === null ? 100 : Number(limitRaw);
    const offset = offsetRaw === null ? 0 : Number(offsetRaw);
    if (!Number.isInteger(limitAsked) || limitAsked < 1) throw new QueryError(`limit must be a whole number >= 1, not "${limitRaw}"`, 'invaliddata');
    if (!Number.isInteger(offset) || offset < 0) throw new QueryError(`offset must be a whole number >= 0, not "${offsetRaw}"`, 'invaliddata');
    let limit = Math.min(limitAsked, MAX_LIMIT);
    if (this.faults.clampLimit !== null && this.faults.clampLimit > 0) limit = Math.min(limit, this.faults.clampLimit);

    const failAfter = this.faults.failCollectionsAfter[c.name];
    if (failAfter !== undefined && offset >= failAfter) {
      return this.status(res, 500, 'internal_server_error', `internal error reading ${c.name} (simulated)`);
    }

    const filterText = q.get('filter');
    const filter: Filter | null = filterText ? parseFilter(filterText) : null;
    const sortField = q.get('sort') ?? 'sourcedId';
    const desc = (q.get('orderBy') ?? 'asc').toLowerCase() === 'desc';

    // Fast path: sourcedId order over the view. Otherwise scan (filter, or sort on another field).
    let total: number;
    let recordsAt: (from: number, to: number) => Json[];
    const empty = this.faults.emptyCollections.includes(c.name);
    if (empty) {
      total = 0;
      recordsAt = () => [];
    } else if (!filter && sortField === 'sourcedId') {
      total = c.view.count;
      recordsAt = (from, to) => {
        const out: Json[] = [];
        if (!desc) {
          for (const i of c.view.slice(from, to)) {
            const r = c.record(i);
            if (r) out.push(r);
          }
        } else {
          for (let p = from; p < Math.min(to, total); p++) {
            const r = c.record(c.view.at(total - 1 - p));
            if (r) out.push(r);
          }
        }
        return out;
      };
    } else {
      const all: Json[] = [];
      for (const i of c.view.slice(0, c.view.count)) {
        const r = c.record(i);
        if (r && (!filter || matches(r, filter))) all.push(r);
      }
      if (sortField !== 'sourcedId') {
        const keyed = all.map((r) => [sortKey(r, sortField), r] as const);
        keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        all.splice(0, all.length, ...keyed.map((k) => k[1]));
      }
      if (desc) all.reverse();
      total = all.length;
      recordsAt = (from, to) => all.slice(from, to);
    }

    const short = this.faults.shortCollections[c.name];
    const servedEnd = short !== undefined ? Math.min(offset + limit, short) : offset + limit;
    const records = offset < servedEnd ? recordsAt(offset, servedEnd) : [];

    const headers: Record<string, string> = {};
    if (!this.faults.omitTotalCount) headers['x-total-count'] = String(total);
    if (!this.faults.omitLink) {
      const link = (rel: string, o: number) => {
        const params = new URLSearchParams(q);
        params.set('limit', String(limit));
        params.set('offset', String(o));
        return `<${this.baseUrl}${url.pathname}?${params.toString()}>; rel="${rel}"`;
      };
      const links: string[] = [];
      if (offset + limit < total) links.push(link('next', offset + limit));
      if (offset > 0) links.push(link('prev', Math.max(0, offset - limit)));
      links.push(link('first', 0));
      links.push(link('last', total === 0 ? 0 : Math.floor((total - 1) / limit) * limit));
      headers.link = links.join(', ');
    }
    // Serialise each record on its own: no array of the page's JSON strings kept beyond this response.
    let body = `{"${c.envelope}":[`;
    for (let n = 0; n < records.length; n++) {
      if (n > 0) body += ',';
      body += JSON.stringify(selectFields(records[n] as Json, fields));
    }
    body += ']}';
    this.json(res, 200, headers, body);
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: 'use POST' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'request body too large' }));
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const answer = this.tokens.issue(req.headers.authorization, form, this.faults.tokenTtlSeconds, this.faults.expireTokensEarly);
    const node = this.stickyNode(req, res);
    if (node !== null && typeof answer.body.access_token === 'string') {
      if (this.tokenNodes.size >= 10_000) this.tokenNodes.delete(this.tokenNodes.keys().next().value!);
      this.tokenNodes.set(answer.body.access_token, node);
    }
    res.writeHead(answer.status, answer.headers);
    res.end(JSON.stringify(answer.body));
  }

  /**
   * stickySessions: the node the SIMLB cookie pins this request to; a request without it lands on a new node and
   * is told to stick to it with Set-Cookie. Null when the fault is off.
   */
  private stickyNode(req: IncomingMessage, res: ServerResponse): number | null {
    if (!this.faults.stickySessions) return null;
    const pinned = /(?:^|;\s*)SIMLB=node-(\d+)(?:;|$)/.exec(req.headers.cookie ?? '');
    if (pinned && Number(pinned[1]) <= this.nodes) return Number(pinned[1]);
    const node = ++this.nodes;
    res.setHeader('set-cookie', `SIMLB=node-${node}; Path=/; HttpOnly`);
    return node;
  }

  private json(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  /** An error in the OneRoster imsx_StatusInfo shape. */
  private status(res: ServerResponse, status: number, codeMinor: CodeMinor, description: string, headers: Record<string, string> = {}): void {
    this.json(res, status, headers, JSON.stringify({
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
      imsx_description: description,
      imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
    }));
  }
}
