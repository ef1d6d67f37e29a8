import { join } from 'node:path';
import type { IntegrationConfig } from '../config/types.js';

/** One integration writes straight into DIR; several write one subfolder each, so files never mix. */
export function exportDirFor(outDir: string, integration: IntegrationConfig, all: IntegrationConfig[]): string {
  return all.length === 1 ? outDir : join(outDir, integration.name);
}
