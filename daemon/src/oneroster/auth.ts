/**
 * OAuth 2.0 client credentials (RFC 6749 4.4) with a token cache.
 * - The secret is fetched on every token request (a rotated secret takes effect) and lives only in that request.
 * - Tokens are refreshed early; a token without expires_in is kept until the SIS answers 401.
 * - Concurrent callers share one in-flight token request.
 */
import {
  authFailedError,
  badResponseError,
  forbiddenError,
  formEncode,
  scrub,
  tokenUnreachableError,
  type SisError,
} from './errors.js';
import { NetworkFailure, type HttpResponse, type HttpTransport } from './http.js';
import { commonStatusError, networkFailureError, parseJsonBody } from './responses.js';

export interface TokenSourceOptions {
  tokenUrl: string;
  clientId: string;
  getSecret: () => Promise<string>;
  clientAuth: 'basic' | 'body';
  scopes: readonly string[];
  timeoutSeconds: number;
  transport: HttpTransport;
  now?: () => number;
}

interface CachedToken {
  value: string;
  /** When to fetch a new one (ms since epoch); Infinity when the SIS gave no lifetime. */
  refreshAt: number;
}

export class TokenSource {
  private cached: CachedToken | null = null;
  private inflight: Promise<CachedToken> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A valid bearer token, from the cache when it is still fresh. */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = null;
    });
    return (await this.inflight).value;
  }

  /** Drops `token` after the SIS rejected it (401); a newer token fetched meanwhile by another caller is kept. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = null;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientAuth, scopes, transport } = this.options;
    const secret = await this.options.getSecret();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scopes.length) form.set('scope', scopes.join(' '));
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (clientAuth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', secret);
    }

    let res: HttpResponse;
    try {
      // A refused or unresolvable token URL is a configuration problem: fail fast instead of retrying.
      res = await transport.send({ method: 'POST', url: tokenUrl, headers, body: form.toString(), kind: 'token' }, (kind) => kind === 'timeout' || kind === 'reset');
    } catch (err) {
      if (err instanceof NetworkFailure) throw this.networkError(err);
      throw err;
    }
    const issued = this.now();
    if (res.status !== 200) throw this.statusError(res, secret);

    const json = parseJsonBody(res, tokenUrl, [secret]);
    const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    const value = body.access_token;
    if (typeof value !== 'string' || value === '') {
      throw badResponseError(tokenUrl, 'the token response has no access_token');
    }
    const tokenType = body.token_type;
    if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
      throw badResponseError(tokenUrl, `the token type is "${tokenType.slice(0, 40)}", rosterd needs a Bearer token`);
    }
    const cached = { value, refreshAt: issued + refreshAfterMs(body.expires_in) };
    this.cached = cached;
    return cached;
  }

  private networkError(failure: NetworkFailure): SisError {
    const { tokenUrl, timeoutSeconds } = this.options;
    // A token URL that cannot be reached at all has its own error (wrong host or port); the rest as for data.
    if (failure.kind === 'dns' || failure.kind === 'refused') return tokenUnreachableError(tokenUrl, failure.kind, failure.detail, failure.cause);
    return networkFailureError(failure, tokenUrl, timeoutSeconds);
  }

  private statusError(res: HttpResponse, secret: string): SisError {
    const { tokenUrl, scopes } = this.options;
    const common = commonStatusError(res, tokenUrl);
    if (common) return common;
    if (res.status === 404 || res.status === 405) {
      return tokenUnreachableError(tokenUrl, 'status', `it answered HTTP ${res.status}, so it is not a token endpoint`);
    }
    const oauth = oauthError(res.body, secret);
    if (oauth.error === 'invalid_scope') return forbiddenError(tokenUrl, scopes, 'token', oauth.text);
    if (res.status === 403) return forbiddenError(tokenUrl, scopes, 'token', oauth.text || 'HTTP 403');
    const detail = oauth.text ? `${oauth.text} (HTTP ${res.status})` : `HTTP ${res.status}`;
    return authFailedError(tokenUrl, detail, 'token');
  }
}

/**
 * How long to use a token: until 80 % of its lifetime or 60 s before it expires, whichever comes first
 * (a short-lived token is not renewed on every request: below 75 s of lifetime the 80 % rule alone applies).
 */
export function refreshAfterMs(expiresIn: unknown): number {
  const seconds = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return Infinity;
  const early = seconds - 60 > 0 ? Math.min(seconds * 0.8, seconds - 60) : seconds * 0.8;
  return early * 1000;
}

/** The OAuth error code and description (RFC 6749 5.2), scrubbed of the secret and kept short. */
function oauthError(body: string, secret: string): { error: string; text: string } {
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const error = typeof json.error === 'string' && /^[\w.-]{1,64}$/.test(json.error) ? json.error : '';
    const description = typeof json.error_description === 'string' ? scrub(json.error_description, [secret]).slice(0, 200) : '';
    return { error, text: [error, description].filter(Boolean).join(': ') };
  } catch {
    return { error: '', text: '' };
  }
}
