/**
 * The simulated SIS's 1.2 responses against the official OneRoster 1.2 OpenAPI document. Skips where the reference
 * folder is absent (a user's machine); CI has it. When the sim and the document disagree, fix the sim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSim, type RunningSim } from '../../daemon/src/sim/index.js';
import { PACKAGE_ROOT } from '../../daemon/src/version.js';
import { FIXED_TODAY, tokenFor } from './helpers.js';

// shared/ sits beside the project checkout (on developers' machines and in CI alike).
const DOC = process.env.ROSTERD_ONEROSTER_OPENAPI ?? join(PACKAGE_ROOT, '..', 'shared', 'reference', 'oneroster-v1p2-rostering-openapi.json');
const present = existsSync(DOC);
// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

interface OpenApi {
  paths: Record<string, { get: { responses: Record<string, { content?: { 'application/json'?: { schema: { $ref: string } } } }> } }>;
}

describe.skipIf(!present)('1.2 responses conform to the OneRoster 1.2 OpenAPI document', () => {
  let sim: RunningSim;
  let token: string;
  let doc: OpenApi;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  const validator = (ref: string) => {
    let v = validators.get(ref);
    if (!v) {
      v = ajv.getSchema(`oneroster.json${ref}`);
      if (!v) throw new Error(`no schema ${ref}`);
      validators.set(ref, v);
    }
    return v;
  };

  beforeAll(async () => {
    doc = JSON.parse(readFileSync(join(DOC), 'utf8')) as OpenApi;
    ajv.addSchema(doc as object, 'oneroster.json');
    sim = await startSim({ version: '1.2', size: 'tiny', seed: 5, today: FIXED_TODAY });
    token = await tokenFor(sim);
  });
  afterAll(() => sim?.close());

  function concrete(path: string): string {
    const a = sim.district.awkward;
    const school = sim.district.schoolIds()[0]!;
    const params: Record<string, string> = {
      schoolSourcedId: school, classSourcedId: a.coTaughtClass, courseSourcedId: 'crs-000000', termSourcedId: 'ses-0003',
      userSourcedId: a.teacherAlsoStudent, studentSourcedId: a.macronApostropheStudent, teacherSourcedId: a.primaryTeacher,
    };
    const singles: Record<string, string> = {
      academicSessions: 'ses-0001', classes: a.coTaughtClass, courses: 'crs-000000', enrollments: a.coTeacherEnrollment,
      orgs: sim.orgId, schools: school, students: a.formulaNameStudent, teachers: a.coTeacher, terms: 'ses-0002',
      users: a.macronApostropheStudent, demographics: a.macronStudent, gradingPeriods: 'ses-9999',
    };
    return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (name === 'sourcedId') return singles[path.split('/')[1] as string] ?? 'unknown';
      return params[name] ?? 'unknown';
    });
  }

  test('every GET path of the document: 200 bodies match their schema, other answers match the error schema', async () => {
    const checked: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const url = concrete(path);
      const res = await fetch(`${sim.urlPrefix}${url}${path.endsWith('}') ? '' : '?limit=1000'}`, { headers: { authorization: `Bearer ${token}` } });
      const body: unknown = await res.json();
      const responses = item.get.responses;
      const ref = (res.status === 200 ? responses['200'] : responses[String(res.status)] ?? responses.default)?.content?.['application/json']?.schema.$ref;
      expect(ref, `${path}: no schema for status ${res.status}`).toBeDefined();
      const validate = validator(ref!);
      const ok = validate(body);
      expect(ok, `${url} (${res.status}) vs ${ref}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      if (res.status === 200 && !path.endsWith('}')) {
        expect(Number.isInteger(Number(res.headers.get('x-total-count'))), `${url}: X-Total-Count`).toBe(true);
        checked.push(path);
      }
    }
    // The collections a sync reads must all be served (not just answered with a valid error).
    for (const p of ['/orgs', '/schools', '/academicSessions', '/terms', '/courses', '/classes', '/users', '/students', '/teachers', '/enrollments',
      '/schools/{schoolSourcedId}/classes', '/schools/{schoolSourcedId}/students', '/schools/{schoolSourcedId}/teachers', '/schools/{schoolSourcedId}/enrollments',
      '/classes/{classSourcedId}/students', '/classes/{classSourcedId}/teachers']) {
      expect(checked).toContain(p);
    }
  });

  test('error answers (401, 403, 404, 400, 429, 503) match imsx_StatusInfoDType', async () => {
    const validate = validator('#/components/schemas/imsx_StatusInfoDType');
    const bodies: unknown[] = [];
    bodies.push(await (await fetch(`${sim.urlPrefix}/users`)).json());
    const [core] = Object.values((await import('../../daemon/src/sim/index.js')).scopesFor('1.2'));
    const coreOnly = await tokenFor(sim, [core!]);
    bodies.push(await (await fetch(`${sim.urlPrefix}/classes/${sim.district.awkward.coTaughtClass}/students`, { headers: { authorization: `Bearer ${coreOnly}` } })).json());
    bodies.push(await (await fetch(`${sim.urlPrefix}/users/nobody`, { headers: { authorization: `Bearer ${token}` } })).json());
    bodies.push(await (await fetch(`${sim.urlPrefix}/users?filter=broken`, { headers: { authorization: `Bearer ${token}` } })).json());
    sim.setFaults({ rateLimitEvery: 1 });
    bodies.push(await (await fetch(`${sim.urlPrefix}/users`, { headers: { authorization: `Bearer ${token}` } })).json());
    sim.setFaults({ rateLimitEvery: null, unavailableEvery: 1 });
    bodies.push(await (await fetch(`${sim.urlPrefix}/users`, { headers: { authorization: `Bearer ${token}` } })).json());
    sim.setFaults({ unavailableEvery: null });
    for (const body of bodies) expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);
  });
});
