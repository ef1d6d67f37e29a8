/**
 * The notification targets' rules beyond the schema (unique names, URL safety, SMTP credentials never in clear
 * text, the secret policy) and their path normalisation. Called from config/semantic.ts and config/normalize.ts,
 * so the config loader stays the one place that reports problems. Tolerant of shapes the schema rejected.
 */
import { isAbsolute, resolve } from 'node:path';
import { policyViolation } from '../config/secrets.js';
import type { PathSegment } from '../config/problems.js';
import type { NotificationTarget, SecretPolicy, SecretRef } from '../config/types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
type Add = (path: PathSegment[], message: string, target?: 'key' | 'value') => void;

/** The same rule the config uses for the SIS URLs, repeated here so notify depends only on secrets.ts. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why a notification URL is unsafe, or undefined. Never echoes the URL: for Slack the URL is the credential.
 * https anywhere; http only on loopback (the payload names students and, for Slack, the URL is a secret).
 */
export function notificationUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? undefined : `must use https: (http: is allowed only for loopback hosts such as 127.0.0.1, not ${url.hostname})`;
  }
  return `must be an https: URL, not ${url.protocol}`;
}

function secretRefProblem(value: unknown, policy: SecretPolicy): string | undefined {
  if (!isObj(value)) return undefined;
  if (Object.keys(value).length !== 1 || (typeof value.env !== 'string' && typeof value.file !== 'string')) return undefined; // the schema reports these
  return policyViolation(value as SecretRef, policy);
}

export function checkNotifications(list: unknown, base: PathSegment[], policy: SecretPolicy, add: Add): void {
  if (!Array.isArray(list)) return;
  const firstIndexByName = new Map<string, number>();
  list.forEach((target: unknown, i) => {
    if (!isObj(target)) return;
    const at: PathSegment[] = [...base, i];
    if (typeof target.name === 'string') {
      const first = firstIndexByName.get(target.name);
      if (first !== undefined) add([...at, 'name'], `notification name "${target.name}" is already used by notifications[${first}] of this integration; names must be unique within an integration`);
      else firstIndexByName.set(target.name, i);
    }
    const secret = (key: string, value: unknown) => {
      const why = secretRefProblem(value, policy);
      if (why) add([...at, ...key.split('.')], why);
    };
    if (target.type === 'webhook') {
      if (typeof target.url === 'string') {
        const why = notificationUrlProblem(target.url);
        if (why) add([...at, 'url'], why);
      }
      secret('signingSecret', target.signingSecret);
    } else if (target.type === 'slack') {
      secret('webhookUrl', target.webhookUrl);
    } else if (target.type === 'email' && isObj(target.smtp)) {
      checkSmtp(target.smtp, [...at, 'smtp'], add);
      secret('smtp.password', target.smtp.password);
    }
  });
}

function checkSmtp(smtp: Obj, at: PathSegment[], add: Add): void {
  const hasUser = typeof smtp.username === 'string';
  const hasPassword = smtp.password !== undefined;
  if (hasUser && !hasPassword) add([...at, 'username'], 'username is set without a password: add password: { env: ROSTERD_SMTP_PASSWORD } (a secret reference), or remove username for a relay that needs no login');
  if (hasPassword && !hasUser) add([...at, 'password'], 'password is set without a username: add username, or remove password for a relay that needs no login');
  const clearText = smtp.secure !== true && smtp.starttls === false;
  if (clearText && typeof smtp.host === 'string' && !isLoopbackHost(smtp.host)) {
    add([...at, 'starttls'], `starttls: false with secure: false would send the mail${hasPassword ? ' and the password' : ''} in clear text to ${smtp.host}; that is allowed only for a relay on loopback (127.0.0.1, ::1, localhost). Use starttls: true (port 587) or secure: true (port 465)`);
  }
}

/** Relative secret files and CA bundles become absolute against the config file's folder, like the SIS ones. */
export function normalizeNotifications(list: unknown, dir: string): void {
  if (!Array.isArray(list)) return;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const fixRef = (ref: unknown) => {
    if (isObj(ref) && typeof ref.file === 'string' && ref.file !== '') ref.file = abs(ref.file);
  };
  for (const target of list) {
    if (!isObj(target)) continue;
    fixRef(target.signingSecret);
    fixRef(target.webhookUrl);
    if (isObj(target.smtp)) {
      fixRef(target.smtp.password);
      if (typeof target.smtp.caFile === 'string' && target.smtp.caFile !== '') target.smtp.caFile = abs(target.smtp.caFile);
    }
  }
}

/** Every secret reference among one integration's targets, with its config path (for validate's secret check). */
export function notificationSecretRefs(targets: NotificationTarget[], base: PathSegment[]): { path: PathSegment[]; ref: SecretRef }[] {
  const out: { path: PathSegment[]; ref: SecretRef }[] = [];
  targets.forEach((t, i) => {
    if (t.type === 'webhook') out.push({ path: [...base, i, 'signingSecret'], ref: t.signingSecret });
    else if (t.type === 'slack') out.push({ path: [...base, i, 'webhookUrl'], ref: t.webhookUrl });
    else if (t.smtp.password) out.push({ path: [...base, i, 'smtp', 'password'], ref: t.smtp.password });
  });
  return out;
}
