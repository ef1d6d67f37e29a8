/**
 * The simulated OneRoster SIS: part of the product (tests, the demo, the benchmark and platform teams trying
 * rosterd all use it). startSim() serves a deterministic district over HTTP on loopback.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { District, SIZES, type DistrictSize, type Mutation, type MutationEffect, type SizeName } from './district.js';
import { DEFAULT_FAULTS, type Faults } from './faults.js';
import { MAIN_DISTRICT_ID } from './ids.js';
import { SimServer, TOKEN_PATH } from './server.js';
import { PREFIX_PATH, type OneRosterVersion } from './shapes.js';

export { District, SIZES, validateSize } from './district.js';
export type { AwkwardIds, DistrictSize, Mutation, MutationEffect, SimClass, SimCourse, SimEnrollment, SimOrg, SimSession, SimUser, SizeName } from './district.js';
export type { ExpectedRoster } from './expected.js';
export { DEFAULT_FAULTS, type Faults } from './faults.js';
export { scopesFor } from './tokens.js';
export { PREFIX_PATH, type OneRosterVersion } from './shapes.js';

export interface SimOptions {
  version: OneRosterVersion;
  size: SizeName | DistrictSize;
  seed: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 'rosterd-demo'. */
  clientId?: string;
  /** Default: a random 'sim-secret-...' for this run (read it from the RunningSim). */
  clientSecret?: string;
  /** YYYY-MM-DD: the day terms and enrollment dates are placed around. Default: today (UTC). */
  today?: string;
  faults?: Partial<Faults>;
  /** Called with one line per request (the CLI passes it at debug level). */
  debug?: (line: string) => void;
}

export interface RunningSim {
  url: string;
  tokenUrl: string;
  urlPrefix: string;
  clientId: string;
  clientSecret: string;
  /** The main district's sourcedId. */
  orgId: string;
  district: District;
  version: OneRosterVersion;
  /** Merge fault settings into the current ones. */
  setFaults(f: Partial<Faults>): void;
  /** Replace the district's mutation (relative to the generated district); returns what it touched. */
  setMutation(m: Mutation): MutationEffect;
  /** Data requests served so far (token requests not counted). */
  readonly requests: number;
  close(): Promise<void>;
}

export function resolveSize(size: SizeName | DistrictSize): DistrictSize {
  if (typeof size === 'string') {
    const s = SIZES[size];
    if (!s) throw new Error(`unknown sim size "${String(size)}": use ${Object.keys(SIZES).join(', ')}`);
    return s;
  }
  return size;
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function startSim(options: SimOptions): Promise<RunningSim> {
  if (options.version !== '1.1' && options.version !== '1.2') throw new Error(`unknown OneRoster version "${String(options.version)}": use 1.1 or 1.2`);
  const today = options.today ?? todayUtc();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) throw new Error(`today must be YYYY-MM-DD, not "${today}"`);
  const district = new District(resolveSize(options.size), options.seed, today);
  const clientId = options.clientId ?? 'rosterd-demo';
  const clientSecret = options.clientSecret ?? `sim-secret-${randomBytes(12).toString('hex')}`;
  const sim = new SimServer({
    version: options.version, district, clientId, clientSecret,
    faults: { ...DEFAULT_FAULTS, ...options.faults }, debug: options.debug,
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    sim.server.once('error', reject);
    sim.server.listen(options.port ?? 0, host, () => {
      sim.server.off('error', reject);
      resolvePromise();
    });
  });
  const address = sim.server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;
  sim.setBaseUrl(url);
  return {
    url,
    tokenUrl: url + TOKEN_PATH,
    urlPrefix: url + PREFIX_PATH[options.version],
    clientId,
    clientSecret,
    orgId: MAIN_DISTRICT_ID,
    district,
    version: options.version,
    setFaults(f) {
      sim.faults = { ...sim.faults, ...f };
    },
    setMutation(m) {
      return district.setMutation(m);
    },
    get requests() {
      return sim.requests;
    },
    close() {
      return new Promise<void>((resolvePromise) => {
        sim.server.close(() => resolvePromise());
        sim.server.closeAllConnections();
      });
    },
  };
}
