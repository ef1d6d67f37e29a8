/**
 * The OneRoster client: reads whole collections page by page as normalised records, for one integration.
 * Credentials and tokens go only to the configured token URL and the URL prefix's origin.
 */
import type { SisConfig } from '../config/types.js';
import { TokenSource } from './auth.js';
import { authFailedError, badResponseError, endpointOf, forbiddenError, notFoundError, type SisError } from './errors.js';
import { HttpTransport, NetworkFailure, type AttemptCode, type HttpResponse } from './http.js';
import type { CollectionName, CollectionRecords, OrgRecord } from './model.js';
import { envelopeKeys, normalizeRecord } from './normalize.js';
import { parseLink, parseTotalCount, readPages } from './pages.js';
import { commonStatusError, header, networkFailureError, parseJsonBody } from './responses.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';

export type RequestCode = AttemptCode;

export interface RequestObserver {
  request(e: { integration: string; code: RequestCode; seconds: number; kind: 'token' | 'data' }): void;
}

export interface ReadSummary {
  collection: CollectionName;
  /** Records the server sent (duplicates and invalid ones included). */
  received: number;
  /** Records dropped because the previous page already had them. */
  duplicates: number;
  /** Records dropped because they had no sourcedId (or were not objects). */
  invalid: number;
  pages: number;
  totalCount: number | null;
  /** The read got everything the server announced: only a complete read may delete records that were not seen. */
  complete: boolean;
}

export interface OneRosterClientOptions {
  integration: string;
  sis: SisConfig;
  getSecret: () => Promise<string>;
  observer?: RequestObserver;
  signal?: AbortSignal;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number };
}

export class OneRosterClient {
  private readonly transport: HttpTransport;
  private readonly tokens: TokenSource;
  private readonly sis: SisConfig;
  private readonly prefix: string;
  private readonly summaries = new Map<CollectionName, ReadSummary>();

  constructor(options: OneRosterClientOptions) {
    this.sis = options.sis;
    this.prefix = options.sis.urlPrefix;
    const retry: RetryPolicy = { ...defaultRetryPolicy, ...definedOnly(options.retry ?? {}) };
    const { observer, integration } = options;
    this.transport = new HttpTransport({
      caFile: options.sis.caFile,
      timeoutMs: Math.max(1, Math.round(options.sis.timeoutSeconds * 1000)),
      retry,
      signal: options.signal,
      onAttempt: observer ? (e) => observer.request({ integration, ...e }) : undefined,
    });
    this.tokens = new TokenSource({
      tokenUrl: options.sis.tokenUrl,
      clientId: options.sis.clientId,
      getSecret: options.getSecret,
      clientAuth: options.sis.clientAuth,
      scopes: options.sis.scopes,
      timeoutSeconds: options.sis.timeoutSeconds,
      transport: this.transport,
    });
  }

  /**
   * Reads a whole collection page by page, yielding normalised records (one array per page).
   * Returns the read's summary, also kept for `lastSummary(collection)`.
   * `path` reads another list with the same record type, relative to the URL prefix (e.g. `schools/123/classes`).
   */
  async *read<C extends CollectionName>(collection: C, options: { path?: string } = {}): AsyncGenerator<CollectionRecords[C][], ReadSummary> {
    const url = joinUrl(this.prefix, options.path ?? collection);
    let invalid = 0;
    const pages = readPages(async (offset) => {
      const pageUrl = withQuery(url, { limit: String(this.sis.pageSize), offset: String(offset), sort: 'sourcedId', orderBy: 'asc' });
      const res = await this.getData(pageUrl);
      if (res.status === 404) throw notFoundError(pageUrl);
      return {
        records: listOf(parseJsonBody(res, pageUrl), envelopeKeys[collection].list, pageUrl),
        totalCount: parseTotalCount(res.headers['x-total-count']),
        link: parseLink(res.headers['link'], pageUrl),
        url: pageUrl,
      };
    });
    for (;;) {
      const step = await pages.next();
      if (step.done) {
        const summary: ReadSummary = { collection, ...step.value, invalid };
        this.summaries.set(collection, summary);
        return summary;
      }
      const records: CollectionRecords[C][] = [];
      for (const raw of step.value) {
        const record = normalizeRecord(collection, raw);
        if (record === null) invalid++;
        else records.push(record);
      }
      if (records.length > 0) yield records;
    }
  }

  /** The summary of the last completed read of `collection`, if any. */
  lastSummary(collection: CollectionName): ReadSummary | undefined {
    return this.summaries.get(collection);
  }

  /** One org by sourcedId; null when the SIS says 404 (or sends an org without a sourcedId). */
  async getOrg(sourcedId: string): Promise<OrgRecord | null> {
    const url = joinUrl(this.prefix, `orgs/${encodeURIComponent(sourcedId)}`);
    const res = await this.getData(url);
    if (res.status === 404) return null;
    const json = parseJsonBody(res, url);
    const raw = isRecord(json) ? (json.org ?? json) : undefined;
    if (!isRecord(raw)) throw badResponseError(url, 'the answer has no "org" object');
    return normalizeRecord('orgs', raw);
  }

  /** The endpoint of a collection or path under the URL prefix, without query string: for messages such as the sync's own errors. */
  endpoint(path: string): string {
    return endpointOf(joinUrl(this.prefix, path));
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * A GET with a bearer token; on 401 the token is dropped and the request retried once with a fresh one.
   * Resolves with 2xx and 404 responses; every other outcome becomes a SIS error.
   */
  private async getData(url: string): Promise<HttpResponse> {
    assertSameOrigin(url, this.prefix);
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.token();
      let res: HttpResponse;
      try {
        res = await this.transport.send({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, kind: 'data' });
      } catch (err) {
        if (err instanceof NetworkFailure) throw networkFailureError(err, url, this.sis.timeoutSeconds);
        throw err;
      }
      if (res.status === 401) {
        this.tokens.invalidate(token);
        if (attempt === 1) continue;
        throw authFailedError(url, 'it answered HTTP 401 again after a new token was fetched', 'data');
      }
      if ((res.status >= 200 && res.status < 300) || res.status === 404) return res;
      throw this.statusError(res, url);
    }
  }

  private statusError(res: HttpResponse, url: string): SisError {
    if (res.status === 403) return forbiddenError(url, this.sis.scopes, 'data');
    const common = commonStatusError(res, url);
    if (common) return common;
    const type = header(res, 'content-type');
    return badResponseError(url, `it answered HTTP ${res.status}${type ? ` (${type})` : ''}`);
  }
}

/** The records array of an envelope such as {"users": [...]}; a bare array and a lone array property are accepted too. */
function listOf(json: unknown, key: string, url: string): unknown[] {
  if (Array.isArray(json)) return json;
  if (isRecord(json)) {
    const value = json[key];
    if (Array.isArray(value)) return value;
    if (value === undefined) {
      const arrays = Object.values(json).filter(Array.isArray);
      if (arrays.length === 1) return arrays[0] as unknown[];
    }
  }
  throw badResponseError(url, `expected a JSON object with a "${key}" list`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** prefix + '/' + path, keeping any query string the prefix carries (the prefix is taken as given, never rebuilt). */
function joinUrl(prefix: string, path: string): string {
  const u = new URL(prefix);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return u.toString();
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Defence in depth: a bearer token is only ever sent to the URL prefix's origin. */
function assertSameOrigin(url: string, prefix: string): void {
  if (new URL(url).origin !== new URL(prefix).origin) {
    throw new Error(`refusing to send SIS credentials outside ${new URL(prefix).origin}`);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
