import { describe, expect, it } from 'vitest';
import { CookieJar } from '../../daemon/src/oneroster/cookies.js';

const at = (s: string) => new URL(s);

describe('CookieJar', () => {
  it('sends a host-only cookie back to its host only, on paths under where it was set', () => {
    const jar = new CookieJar();
    jar.store(at('https://sis.example.org/ims/oneroster/v1p1/users'), 'AWSALB=abc123; Path=/; HttpOnly');
    jar.store(at('https://sis.example.org/ims/oneroster/v1p1/users'), 'deep=1');
    expect(jar.header(at('https://sis.example.org/oauth/token'))).toBe('AWSALB=abc123');
    // No Path: the default path is the request's folder, and the longer path comes first.
    expect(jar.header(at('https://sis.example.org/ims/oneroster/v1p1/classes?limit=5'))).toBe('deep=1; AWSALB=abc123');
    expect(jar.header(at('https://sis.example.org/ims/oneroster/v1p1x/classes'))).toBe('AWSALB=abc123');
    expect(jar.header(at('https://other.example.org/ims/oneroster/v1p1/users'))).toBeNull();
    expect(jar.header(at('https://api.sis.example.org/'))).toBeNull();
  });

  it('a Domain cookie reaches the domain and its subdomains; a foreign or top-level Domain is refused', () => {
    const jar = new CookieJar();
    jar.store(at('https://auth.vendor.example/oauth/token'), ['lb=n1; Domain=.vendor.example; Path=/', 'evil=1; Domain=attacker.example', 'tld=1; Domain=example']);
    expect(jar.header(at('https://sis.vendor.example/ims'))).toBe('lb=n1');
    expect(jar.header(at('https://vendor.example/'))).toBe('lb=n1');
    expect(jar.header(at('https://attacker.example/'))).toBeNull();
    expect(jar.size).toBe(1);
  });

  it('replaces a cookie of the same name, domain and path, and deletes it with Max-Age=0 or a past Expires', () => {
    const jar = new CookieJar();
    const url = at('https://sis.example.org/x');
    jar.store(url, 'n=1; Path=/');
    jar.store(url, 'n=2; Path=/');
    expect(jar.header(url)).toBe('n=2');
    jar.store(url, 'n=3; Path=/; Max-Age=0');
    expect(jar.header(url)).toBeNull();
    jar.store(url, 'm=1; Path=/');
    jar.store(url, 'm=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.header(url)).toBeNull();
  });

  it('expires cookies by Max-Age (which wins over Expires) on its clock', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    const url = at('https://sis.example.org/');
    jar.store(url, 'short=1; Max-Age=10; Expires=Fri, 31 Dec 9999 23:59:59 GMT');
    expect(jar.header(url)).toBe('short=1');
    now += 10_001;
    expect(jar.header(url)).toBeNull();
    expect(jar.size).toBe(0);
  });

  it('Secure cookies go over https (or loopback) only, and plain http elsewhere cannot set one', () => {
    const jar = new CookieJar();
    jar.store(at('https://sis.example.org/'), 's=1; Secure; Path=/');
    expect(jar.header(at('https://sis.example.org/a'))).toBe('s=1');
    expect(jar.header(at('http://sis.example.org/a'))).toBeNull();
    jar.store(at('http://plain.example.org/'), 'p=1; Secure');
    expect(jar.header(at('http://plain.example.org/'))).toBeNull();
    jar.store(at('http://127.0.0.1:8750/'), 'l=1; Secure');
    expect(jar.header(at('http://127.0.0.1:8750/x'))).toBe('l=1');
  });

  it('ignores malformed lines and stays bounded', () => {
    const jar = new CookieJar();
    const url = at('https://sis.example.org/');
    jar.store(url, ['', '=novalue', 'no-equals', `big=${'x'.repeat(5000)}`]);
    expect(jar.size).toBe(0);
    for (let i = 0; i < 80; i++) jar.store(url, `c${i}=${i}; Path=/`);
    expect(jar.size).toBe(50);
    expect(jar.header(url)).toContain('c79=79');
    expect(jar.header(url)).not.toContain('c0=0;');
  });
});
