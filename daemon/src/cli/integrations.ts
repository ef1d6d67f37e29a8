import type { Config, IntegrationConfig } from '../config/types.js';
import { UsageError } from '../errors.js';

/**
 * The integrations a command works on: the one named with --integration (enabled or not: naming it is
 * asking for it), or else every enabled one.
 */
export function selectIntegrations(config: Config, name: string | undefined): IntegrationConfig[] {
  if (name !== undefined) {
    const found = config.integrations.find((i) => i.name === name);
    if (!found) {
      const known = config.integrations.map((i) => i.name).join(', ') || 'none';
      throw new UsageError(`--integration "${name}" is not in the config (integrations: ${known})`);
    }
    return [found];
  }
  return config.integrations.filter((i) => i.enabled);
}
