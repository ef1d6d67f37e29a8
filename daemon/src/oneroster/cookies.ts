/**
 * A small cookie jar for one integration's SIS connection. Some SIS vendors sit behind load balancers that pin a
 * client to one node with a cookie (Aeries among them): a token issued by one node is unknown to the others, so a
 * client that drops the cookie gets 401 on its next page. We keep cookies the way a browser would (RFC 6265:
 * host-only or domain cookies, path, Secure, Max-Age/Expires), in memory for one run, and send them back only to
 * hosts they belong to; the transport only talks to the configured token URL and URL prefix anyway.
 * Bounded, so a misbehaving server cannot grow it without limit.
 */

interface Cookie {
  name: string;
  value: string;
  /** Lower-case host (host-only) or domain (domain cookie) the cookie belongs to. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** Epoch ms, or null for a session cookie (lives as long as the jar). */
  expires: number | null;
}

const MAX_COOKIES = 50;
const MAX_COOKIE_BYTES = 4096;

export class CookieJar {
  private cookies: Cookie[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes the Set-Cookie headers of a response to `url`. Malformed or foreign cookies are ignored, as browsers do. */
  store(url: URL, setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const cookie = parseSetCookie(line, url, this.now());
      if (!cookie) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
      if (cookie.expires !== null && cookie.expires <= this.now()) continue; // Max-Age=0 or a past date deletes it
      this.cookies.push(cookie);
      if (this.cookies.length > MAX_COOKIES) this.cookies.shift();
    }
  }

  /** The Cookie header for a request to `url`, or null when no cookie applies. Longer paths first (RFC 6265 5.4). */
  header(url: URL): string | null {
    const now = this.now();
    this.cookies = this.cookies.filter((c) => c.expires === null || c.expires > now);
    const host = url.hostname.toLowerCase();
    const matching = this.cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)))
      .filter((c) => pathMatches(url.pathname, c.path))
      .filter((c) => !c.secure || url.protocol === 'https:' || isLoopback(host))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length === 0 ? null : matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  get size(): number {
    return this.cookies.length;
  }
}

function parseSetCookie(line: string, url: URL, now: number): Cookie | null {
  if (Buffer.byteLength(line) > MAX_COOKIE_BYTES) return null;
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (name === '' || /[\s;,]/.test(name)) return null;
  const host = url.hostname.toLowerCase();
  const cookie: Cookie = { name, value, domain: host, hostOnly: true, path: defaultPath(url.pathname), secure: false, expires: null };
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const at = attribute.indexOf('=');
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const val = at < 0 ? '' : attribute.slice(at + 1).trim();
    if (key === 'domain' && val !== '') {
      const domain = val.replace(/^\./, '').toLowerCase();
      // A server may widen a cookie to its parent domain, never hand one to an unrelated host.
      if (!domainMatches(host, domain) || !domain.includes('.')) return null;
      cookie.domain = domain;
      cookie.hostOnly = false;
    } else if (key === 'path' && val.startsWith('/')) {
      cookie.path = val;
    } else if (key === 'secure') {
      cookie.secure = true;
    } else if (key === 'max-age' && /^-?\d+$/.test(val)) {
      maxAgeSeen = true;
      cookie.expires = now + Number(val) * 1000;
    } else if (key === 'expires' && !maxAgeSeen) {
      const at = Date.parse(val);
      if (!Number.isNaN(at)) cookie.expires = at;
    }
  }
  if (cookie.secure && url.protocol !== 'https:' && !isLoopback(host)) return null; // only a secure origin may set one
  return cookie;
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 5.1.4: the request path up to, not including, its last slash. */
function defaultPath(path: string): string {
  if (!path.startsWith('/')) return '/';
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
