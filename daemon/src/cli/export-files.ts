import { join } from 'node:path';
import { loadConfigForCommand } from '../config/index.js';
import type { Config, IntegrationConfig, SecretPolicy } from '../config/types.js';
import { UsageError } from '../errors.js';
import { configPaths, integrationCommandOptions, parseCommandArgs, pickFormat, type OutputFormat } from './args.js';
import { selectIntegrations } from './integrations.js';

/** One integration writes straight into DIR; several write one subfolder each, so files never mix. */
export function exportDirFor(outDir: string, integration: IntegrationConfig, all: IntegrationConfig[]): string {
  return all.length === 1 ? outDir : join(outDir, integration.name);
}

/**
 * What `export` and `preview` share: their options, --out, the config, the integrations. Null when the config
 * has problems (already reported): the command exits 78.
 */
export async function fileCommandSetup(
  argv: string[],
): Promise<{ out: string; format: OutputFormat; config: Config; policy: SecretPolicy; integrations: IntegrationConfig[] } | { out?: undefined; format: OutputFormat }> {
  const { values } = parseCommandArgs(argv, { ...integrationCommandOptions, out: { type: 'string' } });
  const format = pickFormat(values);
  if (!values.out) throw new UsageError('--out DIR is required: the folder to write classes.csv, users.csv and enrollments.csv into');
  const loaded = await loadConfigForCommand(configPaths(values), values, format);
  if (!loaded) return { format };
  return { out: values.out, format, config: loaded.config, policy: loaded.policy, integrations: selectIntegrations(loaded.config, values.integration) };
}
