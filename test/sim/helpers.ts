import type { RunningSim } from '../../daemon/src/sim/index.js';
import { scopesFor } from '../../daemon/src/sim/index.js';

export const FIXED_TODAY = '2026-03-10';

export function basic(id: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

export async function tokenFor(sim: RunningSim, scopes?: string[]): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scopes) form.set('scope', scopes.join(' '));
  const res = await fetch(sim.tokenUrl, { method: 'POST', headers: { authorization: basic(sim.clientId, sim.clientSecret) }, body: form });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function allScopes(sim: RunningSim): string[] {
  return Object.values(scopesFor(sim.version));
}

export async function get(sim: RunningSim, token: string, path: string): Promise<Response> {
  return fetch(sim.urlPrefix + path, { headers: { authorization: `Bearer ${token}` } });
}

/** Read a whole collection by following Link rel="next" (the way a strict client would). */
export async function readAll(sim: RunningSim, token: string, path: string, limit = 50): Promise<Array<Record<string, unknown>>> {
  const envelope = (await (await get(sim, token, `${path}${path.includes('?') ? '&' : '?'}limit=1`)).json()) as Record<string, unknown[]>;
  const key = Object.keys(envelope)[0] as string;
  const out: Array<Record<string, unknown>> = [];
  let url: string | null = `${sim.urlPrefix}${path}${path.includes('?') ? '&' : '?'}limit=${limit}&sort=sourcedId`;
  while (url) {
    const res: Response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    const body = (await res.json()) as Record<string, Array<Record<string, unknown>>>;
    out.push(...(body[key] ?? []));
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    url = next ? (next[1] as string) : null;
  }
  return out;
}

export type Ref = { sourcedId: string; href: string; type: string };
