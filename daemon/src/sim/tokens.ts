/**
 * The simulated SIS's OAuth2 client-credentials endpoint and its bearer tokens.
 * Client authentication by HTTP Basic or by form body (vendors differ); scopes per OneRoster version.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OneRosterVersion } from './shapes.js';

export function scopesFor(version: OneRosterVersion): { core: string; roster: string; demographics: string } {
  const v = version === '1.1' ? 'v1p1' : 'v1p2';
  const base = `https://purl.imsglobal.org/spec/or/${v}/scope`;
  return { core: `${base}/roster-core.readonly`, roster: `${base}/roster.readonly`, demographics: `${base}/roster-demographics.readonly` };
}

interface Token {
  scopes: Set<string>;
  /** When the token stops working (earlier than expires_in says when expireTokensEarly is on). */
  validUntil: number;
}

export interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class TokenIssuer {
  private readonly tokens = new Map<string, Token>();
  private readonly known: Set<string>;

  constructor(
    version: OneRosterVersion,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {
    this.known = new Set(Object.values(scopesFor(version)));
  }

  /** POST /oauth/token with its Authorization header and form body. */
  issue(authorization: string | undefined, form: URLSearchParams, ttlSeconds: number, early: boolean, now = Date.now()): TokenAnswer {
    const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    let id: string | null = null, secret: string | null = null, basic = false;
    if (authorization?.toLowerCase().startsWith('basic ')) {
      basic = true;
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        // RFC 6749 2.3.1: Basic credentials are form-urlencoded before base64.
        id = safeDecode(decoded.slice(0, colon));
        secret = safeDecode(decoded.slice(colon + 1));
      }
    } else if (form.has('client_id')) {
      id = form.get('client_id');
      secret = form.get('client_secret');
    }
    if (id === null || secret === null || !same(id, this.clientId) || !same(secret, this.clientSecret)) {
      return {
        status: 401,
        headers: { ...json, ...(basic ? { 'www-authenticate': 'Basic realm="oneroster-sim"' } : {}) },
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      };
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, headers: json, body: { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' } };
    }
    const requested = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
    const unknown = requested.filter((s) => !this.known.has(s));
    if (unknown.length > 0) {
      return { status: 400, headers: json, body: { error: 'invalid_scope', error_description: `unknown scope: ${unknown.join(' ')}` } };
    }
    // No scope asked: grant every scope this client has, as most SIS do.
    const granted = new Set(requested.length > 0 ? requested : this.known);
    this.prune(now);
    const token = randomBytes(24).toString('base64url');
    const lifetimeMs = ttlSeconds * 1000;
    this.tokens.set(token, { scopes: granted, validUntil: now + (early ? Math.floor(lifetimeMs / 2) : lifetimeMs) });
    return {
      status: 200,
      headers: json,
      body: { access_token: token, token_type: 'bearer', expires_in: ttlSeconds, scope: [...granted].join(' ') },
    };
  }

  /** The scopes of a valid bearer token; 'missing' or 'expired' otherwise. */
  check(authorization: string | undefined, now = Date.now()): Set<string> | 'missing' | 'expired' {
    const bearer = bearerToken(authorization);
    if (bearer === null) return 'missing';
    const token = this.tokens.get(bearer);
    if (!token) return 'expired';
    if (now >= token.validUntil) return 'expired';
    return token.scopes;
  }

  private prune(now: number): void {
    if (this.tokens.size < 1000) return;
    for (const [t, v] of this.tokens) if (v.validUntil <= now) this.tokens.delete(t);
  }
}

/** The token of an `Authorization: Bearer ...` header, or null when there is none. */
export function bearerToken(authorization: string | undefined): string | null {
  return authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
