/**
 * The client against the simulated SIS (daemon/src/sim) over real HTTP, for 1.1 and 1.2, with each misbehaviour
 * switched on: every read must return exactly what the fault-free read returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneRosterClient, type ReadSummary, type RequestCode } from '../../daemon/src/oneroster/client.js';
import type { CollectionName } from '../../daemon/src/oneroster/model.js';
import { scopesFor, startSim, type Faults, type RunningSim } from '../../daemon/src/sim/index.js';
import type { SisConfig } from '../../daemon/src/config/types.js';

const COLLECTIONS: CollectionName[] = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'];
const SEED = 7;

type Snapshot = Record<string, unknown[]>;

function sisFor(sim: RunningSim, overrides: Partial<SisConfig> = {}): SisConfig {
  const scopes = scopesFor(sim.version);
  return {
    version: sim.version,
    tokenUrl: sim.tokenUrl,
    urlPrefix: sim.urlPrefix,
    clientId: sim.clientId,
    clientSecret: { env: 'UNUSED' },
    orgId: sim.orgId,
    clientAuth: 'basic',
    scopes: [scopes.core, scopes.roster],
    pageSize: 25,
    timeoutSeconds: 2,
    ...overrides,
  };
}

async function readEverything(client: OneRosterClient): Promise<{ data: Snapshot; summaries: ReadSummary[] }> {
  const data: Snapshot = {};
  const summaries: ReadSummary[] = [];
  for (const collection of COLLECTIONS) {
    const records: unknown[] = [];
    const gen = client.read(collection);
    for (;;) {
      const step = await gen.next();
      if (step.done) {
        summaries.push(step.value);
        break;
      }
      records.push(...step.value);
    }
    data[collection] = records;
  }
  return { data, summaries };
}

for (const version of ['1.1', '1.2'] as const) {
  describe(`against the simulated SIS, OneRoster ${version}`, () => {
    let sim: RunningSim;
    let baseline: Snapshot;

    beforeAll(async () => {
      sim = await startSim({ version, size: 'tiny', seed: SEED });
      const client = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => sim.clientSecret });
      const { data, summaries } = await readEverything(client);
      await client.close();
      baseline = data;
      for (const s of summaries) expect(s).toMatchObject({ complete: true, duplicates: 0, invalid: 0 });
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('reads every collection completely, matching the generated district', () => {
      const d = sim.district;
      expect(baseline.users).toHaveLength(d.allUsers().count);
      expect(baseline.enrollments).toHaveLength(d.allEnrollments().count);
      expect(baseline.classes).toHaveLength(d.allClasses().count);
      expect(baseline.courses).toHaveLength(d.allCourses().count);
      expect(baseline.orgs).toHaveLength(d.orgs().length);
      for (const records of Object.values(baseline)) {
        const ids = records.map((r) => (r as { sourcedId: string }).sourcedId);
        expect(new Set(ids).size).toBe(ids.length);
      }
      const users = baseline.users as Array<{ sourcedId: string; email: string | null; enabledUser: boolean; status: string; givenName: string }>;
      const a = d.awkward;
      expect(users.find((u) => u.sourcedId === a.studentWithoutEmail)?.email).toBeNull();
      expect(users.find((u) => u.sourcedId === a.disabledUser)?.enabledUser).toBe(false);
      expect(users.find((u) => u.sourcedId === a.toBeDeletedUser)?.status).toBe('tobedeleted');
      const formula = users.find((u) => u.sourcedId === a.formulaNameStudent) as { givenName: string; familyName: string } | undefined;
      expect([formula?.givenName, formula?.familyName].some((n) => n?.startsWith('='))).toBe(true);
    });

    const faults: Array<[string, Partial<Faults>, Partial<SisConfig>?]> = [
      ['a clamped limit with neither X-Total-Count nor Link', { clampLimit: 7, omitTotalCount: true, omitLink: true }, { pageSize: 100 }],
      ['a clamped limit with X-Total-Count only', { clampLimit: 9, omitLink: true }, { pageSize: 100 }],
      ['Link only', { omitTotalCount: true }],
      ['429 with Retry-After every 3rd request', { rateLimitEvery: 3, retryAfterSeconds: 1 }],
      ['503 every 4th request', { unavailableEvery: 4 }],
      ['connection resets every 5th request', { resetEvery: 5 }],
      ['tokens that expire early', { tokenTtlSeconds: 1, expireTokensEarly: true, latencyMs: 20 }, { pageSize: 5 }],
      ['latency', { latencyMs: 5 }],
      ['a load balancer that needs its affinity cookie back', { stickySessions: true }],
    ];

    for (const [name, fault, overrides] of faults) {
      it(`loses and repeats nothing with ${name}`, async () => {
        sim.setFaults(fault);
        const codes: RequestCode[] = [];
        const client = new OneRosterClient({
          integration: 'sim',
          sis: sisFor(sim, overrides),
          getSecret: async () => sim.clientSecret,
          // Retry-After is honoured but capped at 20 ms here, to keep the suite quick.
          retry: { maxAttempts: 5, baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 20 },
          observer: { request: (e) => codes.push(e.code) },
        });
        try {
          const { data, summaries } = await readEverything(client);
          expect(data).toEqual(baseline);
          for (const s of summaries) expect(s.complete).toBe(true);
          if (fault.rateLimitEvery) expect(codes).toContain(429);
          if (fault.unavailableEvery) expect(codes).toContain(503);
          if (fault.resetEvery) expect(codes).toContain('reset');
          if (fault.expireTokensEarly) expect(codes).toContain(401);
        } finally {
          await client.close();
          sim.setFaults({ clampLimit: null, omitTotalCount: false, omitLink: false, rateLimitEvery: null, unavailableEvery: null, resetEvery: null, tokenTtlSeconds: 3600, expireTokensEarly: false, latencyMs: 0, stickySessions: false });
        }
      });
    }

    it('reports a login page as ROSTERD_SIS_NOT_JSON', async () => {
      sim.setFaults({ htmlResponses: true });
      const client = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => sim.clientSecret });
      try {
        await expect(readEverything(client)).rejects.toMatchObject({ code: 'ROSTERD_SIS_NOT_JSON' });
      } finally {
        sim.setFaults({ htmlResponses: false });
        await client.close();
      }
    });

    it('marks a read incomplete when the SIS serves fewer records than X-Total-Count says', async () => {
      sim.setFaults({ shortCollections: { users: 10 } });
      const client = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => sim.clientSecret });
      try {
        const gen = client.read('users');
        let n = 0;
        for (;;) {
          const step = await gen.next();
          if (step.done) {
            expect(step.value).toMatchObject({ complete: false, received: 10, totalCount: baseline.users!.length });
            break;
          }
          n += step.value.length;
        }
        expect(n).toBe(10);
      } finally {
        sim.setFaults({ shortCollections: {} });
        await client.close();
      }
    });

    it('fails with ROSTERD_SIS_UNAVAILABLE when a collection breaks mid-read', async () => {
      sim.setFaults({ failCollectionsAfter: { enrollments: 50 } });
      const client = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => sim.clientSecret, retry: { maxAttempts: 2, baseDelayMs: 1 } });
      try {
        await expect(readEverything(client)).rejects.toMatchObject({ code: 'ROSTERD_SIS_UNAVAILABLE' });
      } finally {
        sim.setFaults({ failCollectionsAfter: {} });
        await client.close();
      }
    });

    it('authenticates with client_id and client_secret in the body too, and fails clearly on a wrong secret', async () => {
      const body = new OneRosterClient({ integration: 'sim', sis: sisFor(sim, { clientAuth: 'body' }), getSecret: async () => sim.clientSecret });
      await expect(body.getOrg(sim.orgId)).resolves.toMatchObject({ sourcedId: sim.orgId, type: 'district' });
      expect(await body.getOrg('no-such-org')).toBeNull();
      await body.close();
      const wrong = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => 'not-the-secret' });
      await expect(wrong.getOrg(sim.orgId)).rejects.toMatchObject({ code: 'ROSTERD_SIS_AUTH_FAILED' });
      await wrong.close();
    });
  });
}

describe('1.1 and 1.2 of the same district', () => {
  it('normalise to the same records (apart from dateLastModified formats)', async () => {
    const read = async (version: '1.1' | '1.2') => {
      const sim = await startSim({ version, size: 'tiny', seed: SEED });
      const client = new OneRosterClient({ integration: 'sim', sis: sisFor(sim), getSecret: async () => sim.clientSecret });
      try {
        return (await readEverything(client)).data;
      } finally {
        await client.close();
        await sim.close();
      }
    };
    const strip = (s: Snapshot) => JSON.parse(JSON.stringify(s, (k, v) => (k === 'dateLastModified' ? undefined : v))) as Snapshot;
    const [v11, v12] = [strip(await read('1.1')), strip(await read('1.2'))];
    for (const c of COLLECTIONS) expect({ c, records: v11[c] }).toEqual({ c, records: v12[c] });
  });
});
