/**
 * The benchmark's floor: read every collection a sync reads, with the same client and page size, and throw
 * the records away. A sync cannot be faster than this; its cost is measured as a ratio to it.
 * Usage: node dist/bench/floor.js CONFIG_FILE
 */
import { loadConfig, resolveSecret, policyForFile } from '../config/index.js';
import { OneRosterClient } from '../oneroster/client.js';
import type { CollectionName } from '../oneroster/model.js';

const COLLECTIONS: CollectionName[] = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'];

const file = process.argv[2];
if (!file) throw new Error('usage: floor.js CONFIG_FILE');
const loaded = await loadConfig(file);
if (!loaded.ok) throw new Error(`bad config ${file}`);
const integration = loaded.config.integrations[0]!;
const policy = policyForFile({}, file);
const client = new OneRosterClient({ integration: integration.name, sis: integration.sis, getSecret: () => resolveSecret(integration.sis.clientSecret, policy) });
const counts: Record<string, number> = {};
try {
  for (const collection of COLLECTIONS) {
    let n = 0;
    for await (const page of client.read(collection)) n += page.length;
    counts[collection] = n;
  }
} finally {
  await client.close();
}
process.stdout.write(`${JSON.stringify({ counts })}\n`);
