/**
 * One HTTP dispatcher per integration (undici), one request with a timeout, and the retry loop around it.
 * This layer knows HTTP, not OneRoster: it reports statuses and network failures, and leaves their meaning
 * (which error code, which hint) to the callers in auth.ts and client.ts.
 */
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { RosterdError } from '../errors.js';
import { CookieJar } from './cookies.js';
import { SisErrorCode, safeCause } from './errors.js';
import { abortReason, nextDelayMs, parseRetryAfterMs, sleep, type RetryPolicy } from './retry.js';

export type RequestKind = 'token' | 'data';
/** What an attempt ended with, as the observer (metrics) sees it. */
export type AttemptCode = number | 'timeout' | 'reset' | 'tls' | 'dns' | 'error';
/** Why an attempt got no HTTP response. `refused` covers refused connections and unreachable hosts. */
export type FailureKind = 'timeout' | 'reset' | 'tls' | 'dns' | 'refused' | 'error';

export interface AttemptEvent {
  code: AttemptCode;
  seconds: number;
  kind: RequestKind;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  kind: RequestKind;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** How many attempts it took (1 = no retry). */
  attempts: number;
}

/** No HTTP response came back, after every allowed attempt. */
export class NetworkFailure extends Error {
  override readonly name = 'NetworkFailure';
  constructor(
    readonly kind: FailureKind,
    readonly attempts: number,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(detail, cause === undefined ? undefined : { cause });
  }
}

/** Statuses worth another attempt: the server said "later" or a proxy lost the upstream. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export interface TransportOptions {
  caFile?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onAttempt?: (e: AttemptEvent) => void;
  /** For tests: the jitter source. */
  random?: () => number;
}

export class HttpTransport {
  private dispatcher: Promise<Dispatcher> | null = null;
  private closed = false;
  /** Load-balancer affinity cookies (Aeries): a token is often known only to the node that issued it. */
  private readonly cookies = new CookieJar();

  constructor(private readonly options: TransportOptions) {}

  /** Sends a request, retrying transient failures; resolves with the last response, whatever its status. */
  async send(req: HttpRequest, retryable: (failure: FailureKind) => boolean = defaultRetryable): Promise<HttpResponse> {
    const { retry, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | null = null;
      try {
        const res = await this.attemptOnce(req);
        if (!RETRY_STATUSES.has(res.status) || attempt >= retry.maxAttempts) return { ...res, attempts: attempt };
        retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      } catch (err) {
        if (!(err instanceof NetworkFailure)) throw err;
        if (!retryable(err.kind) || attempt >= retry.maxAttempts) {
          throw new NetworkFailure(err.kind, attempt, err.detail, err.cause);
        }
      }
      await sleep(nextDelayMs(attempt, retryAfterMs, retry, this.options.random), signal);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.dispatcher;
    this.dispatcher = null;
    if (pending) await (await pending.catch(() => null))?.close();
  }

  private async attemptOnce(req: HttpRequest): Promise<Omit<HttpResponse, 'attempts'>> {
    const { signal, timeoutMs } = this.options;
    if (signal?.aborted) throw abortReason(signal);
    const dispatcher = await this.getDispatcher();
    // One deadline covers connecting, headers and body: a server that trickles a page forever still times out.
    // The caller's signal is wired in by hand (not AbortSignal.any) so nothing accumulates on it over thousands of pages.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onAbort = (): void => deadline.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    const report = (code: AttemptCode): void => {
      this.options.onAttempt?.({ code, seconds: (performance.now() - started) / 1000, kind: req.kind });
    };
    try {
      const target = new URL(req.url);
      const cookie = this.cookies.header(target);
      const res = await request(req.url, {
        dispatcher,
        method: req.method,
        headers: cookie === null ? req.headers : { ...req.headers, cookie },
        body: req.body,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      this.cookies.store(target, res.headers['set-cookie']);
      const body = await res.body.text();
      report(res.statusCode);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const kind: FailureKind = deadline.signal.aborted ? 'timeout' : classifyNetworkError(err);
      report(kind === 'refused' ? 'error' : kind);
      throw new NetworkFailure(kind, 1, describeFailure(kind, err), safeCause(err));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private getDispatcher(): Promise<Dispatcher> {
    if (this.closed) return Promise.reject(new Error('OneRoster client is closed'));
    this.dispatcher ??= createDispatcher(this.options.caFile);
    return this.dispatcher;
  }
}

function defaultRetryable(kind: FailureKind): boolean {
  return kind === 'timeout' || kind === 'reset' || kind === 'refused';
}

/**
 * The integration's dispatcher: keep-alive, no pipelining, the extra CA (added to Node's roots, not replacing them),
 * and HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment when set.
 */
async function createDispatcher(caFile: string | undefined): Promise<Dispatcher> {
  let tls: { ca: string[] } | undefined;
  if (caFile) {
    let pem: string;
    try {
      pem = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new RosterdError(SisErrorCode.tls, `Could not read the CA bundle sis.caFile ${caFile}: ${(err as Error).message}.`, {
        hint: 'point sis.caFile at a readable PEM file holding the CA certificate(s) that signed the SIS certificate.',
        dataEffect: 'run failed, roster unchanged',
      });
    }
    tls = { ca: [...rootCertificates, pem] };
  }
  const common = { keepAliveTimeout: 10_000, pipelining: 1, connections: 4, ...(tls ? { connect: tls } : {}) };
  const env = process.env;
  const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  // Through a proxy, the CA applies to the TLS session tunnelled to the SIS (requestTls).
  if (proxied) return new EnvHttpProxyAgent({ ...common, ...(tls ? { requestTls: tls } : {}) });
  return new Agent(common);
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH)/;

/** Maps a Node/undici network error (looking through its causes) onto the few kinds a user can act on. */
export function classifyNetworkError(err: unknown): FailureKind {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return 'refused';
    if (TLS_CODE.test(code)) return 'tls';
    if (/^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(code) || code === 'ETIMEDOUT') return 'timeout';
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'ECONNABORTED' || code === 'UND_ERR_CLOSED') return 'reset';
  }
  return 'error';
}

function describeFailure(kind: FailureKind, err: unknown): string {
  const code = findCode(err);
  switch (kind) {
    case 'dns':
      return 'the host name does not resolve';
    case 'refused':
      return 'the connection was refused or the host is unreachable';
    case 'reset':
      return 'the connection was reset';
    case 'timeout':
      return 'no answer in time';
    case 'tls':
      return tlsDetail(code, err);
    default:
      return `network error${code ? ` ${code}` : ''}`;
  }
}

function findCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  return '';
}

function tlsDetail(code: string, err: unknown): string {
  if (code === 'CERT_HAS_EXPIRED') return 'the certificate has expired (CERT_HAS_EXPIRED)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the certificate is for a different host name (ERR_TLS_CERT_ALTNAME_INVALID)';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN')
    return `the certificate is self-signed or signed by a CA this machine does not trust (${code})`;
  if (code.startsWith('UNABLE_TO')) return `the certificate chain does not lead to a trusted CA (${code})`;
  const message = err instanceof Error ? err.message : '';
  return `${code || 'TLS error'}${message && !message.includes(code) ? `: ${message}` : ''}`;
}
