/**
 * Checks beyond what JSON Schema can say: unique names, cron expressions and time zones, URL safety,
 * class-name templates, and the secret policy. Runs on schema-defaulted data; each check guards its own
 * inputs so that one bad value does not hide problems elsewhere in the file.
 */
import { Cron } from 'croner';
import { compileClassNameFormat } from '../roster/naming.js';
import { policyViolation } from './secrets.js';
import { checkNotifications } from '../notify/config-checks.js';
import type { RawProblem } from './schema.js';
import type { PathSegment } from './problems.js';
import type { SecretPolicy, SecretRef } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkSemantics(data: unknown, policy: SecretPolicy): RawProblem[] {
  const problems: RawProblem[] = [];
  if (!isObj(data)) return problems;
  const add = (path: PathSegment[], message: string, target: 'key' | 'value' = 'value') => problems.push({ path, target, message });

  if (isObj(data.server)) {
    checkListen(data.server.listen, ['server', 'listen'], add);
    checkSecretRef(data.server.adminToken, ['server', 'adminToken'], policy, add);
  }

  const integrations = Array.isArray(data.integrations) ? data.integrations : [];
  const firstIndexByName = new Map<string, number>();
  integrations.forEach((entry: unknown, i) => {
    if (!isObj(entry)) return;
    const base: PathSegment[] = ['integrations', i];
    if (typeof entry.name === 'string') {
      const first = firstIndexByName.get(entry.name);
      if (first !== undefined) add([...base, 'name'], `integration name "${entry.name}" is already used by integrations[${first}]; names must be unique`);
      else firstIndexByName.set(entry.name, i);
    }
    if (isObj(entry.sis)) {
      checkUrl(entry.sis.tokenUrl, [...base, 'sis', 'tokenUrl'], add);
      checkUrl(entry.sis.urlPrefix, [...base, 'sis', 'urlPrefix'], add);
      checkSecretRef(entry.sis.clientSecret, [...base, 'sis', 'clientSecret'], policy, add);
    }
    if (isObj(entry.hapara) && typeof entry.hapara.classNameFormat === 'string') {
      const compiled = compileClassNameFormat(entry.hapara.classNameFormat);
      if (!compiled.ok) add([...base, 'hapara', 'classNameFormat'], compiled.message);
    }
    if (isObj(entry.schedule)) checkSchedule(entry.schedule, [...base, 'schedule'], add);
    checkNotifications(entry.notifications, [...base, 'notifications'], policy, add);
  });
  return problems;
}

type Add = (path: PathSegment[], message: string, target?: 'key' | 'value') => void;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkUrl(value: unknown, path: PathSegment[], add: Add): void {
  if (typeof value !== 'string') return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    add(path, `"${value}" is not a valid URL`);
    return;
  }
  if (url.username || url.password) {
    // Never echo it: the user part may carry a password.
    add(path, 'must not contain a user name or password; use clientId and clientSecret');
    return;
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return;
    add(path, `http: is allowed only for loopback hosts (127.0.0.1, ::1, localhost), not ${url.hostname}; use https: so credentials never cross a network in clear text`);
    return;
  }
  add(path, `must be an https: URL, not ${url.protocol}`);
}

function checkListen(value: unknown, path: PathSegment[], add: Add): void {
  if (typeof value !== 'string') return;
  const port = Number(value.slice(value.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port > 65535) add(path, `port ${value.slice(value.lastIndexOf(':') + 1)} is out of range (0-65535)`);
}

function checkSecretRef(value: unknown, path: PathSegment[], policy: SecretPolicy, add: Add): void {
  if (!isObj(value)) return;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (typeof value.env !== 'string' && typeof value.file !== 'string')) return; // the schema reports these
  const violation = policyViolation(value as SecretRef, policy);
  if (violation) add(path, violation);
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function checkSchedule(schedule: Obj, base: PathSegment[], add: Add): void {
  let zone: string | undefined;
  if (typeof schedule.timezone === 'string') {
    if (isValidTimeZone(schedule.timezone)) zone = schedule.timezone;
    else add([...base, 'timezone'], `unknown time zone "${schedule.timezone}"; use an IANA name such as UTC or Pacific/Auckland`);
  }
  for (const key of ['classes', 'students'] as const) {
    const expr = schedule[key];
    if (typeof expr !== 'string') continue;
    const why = cronProblem(expr, zone);
    if (why) add([...base, key], `invalid cron expression "${expr}": ${why}`);
  }
}

/** croner's own parser decides, so what validates is exactly what the scheduler will run. */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  try {
    const job = new Cron(expr, { paused: true, ...(timezone ? { timezone } : {}) });
    job.stop();
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
}
