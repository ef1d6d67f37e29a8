/**
 * The config the daemon runs on, and its reload: a new file is validated completely (schema, rules, every
 * secret reference) before anything changes; a bad one changes nothing, is logged problem by problem with its
 * place, and shows in the metrics, while the daemon keeps the last good config.
 */
import type { Logger } from 'pino';
import { formatProblem, loadConfig } from '../config/index.js';
import type { Config, SecretPolicy } from '../config/types.js';
import type { DaemonMetrics } from '../http/metrics.js';

export interface LoadedConfig {
  config: Config;
  checksum: string;
  loadedAt: Date;
}

export type ReloadResult = { ok: true; checksum: string; changed: boolean } | { ok: false; problems: string[] };

/** Settings bound at start (the port, the store): a changed value waits for a restart, and the log says so. */
const RESTART_ONLY: { path: string; get(c: Config): string }[] = [
  { path: 'server.listen', get: (c) => c.server.listen },
  { path: 'storage.url', get: (c) => c.storage.url },
];

export class ConfigHolder {
  private loaded: LoadedConfig;
  private reloading: Promise<ReloadResult> | null = null;
  /** Whether the last (re)load attempt was good: false while a broken file is kept out. */
  lastReloadOk = true;

  constructor(
    readonly file: string,
    readonly policy: SecretPolicy,
    first: LoadedConfig,
    private readonly deps: { logger: Logger; metrics: DaemonMetrics; apply(next: Config, previous: Config): void },
  ) {
    this.loaded = first;
  }

  get current(): LoadedConfig {
    return this.loaded;
  }

  /** Reloads serialise: a SIGHUP during a file-watch reload waits for it, then reads the file again. */
  async reload(source: string): Promise<ReloadResult> {
    while (this.reloading) await this.reloading.catch(() => undefined);
    this.reloading = this.doReload(source);
    try {
      return await this.reloading;
    } finally {
      this.reloading = null;
    }
  }

  private async doReload(source: string): Promise<ReloadResult> {
    const { logger, metrics } = this.deps;
    const result = await loadConfig(this.file, { policy: this.policy, resolveSecrets: true });
    if (!result.ok) {
      const problems = result.problems.map(formatProblem);
      for (const problem of problems) logger.error({ source, file: this.file, problem }, 'config reload rejected');
      logger.error({ source, file: this.file, problems: problems.length }, 'config reload rejected: keeping the last good config; nothing changed');
      metrics.reloaded(false);
      this.lastReloadOk = false;
      return { ok: false, problems };
    }
    const previous = this.loaded.config;
    const next = result.config;
    for (const key of RESTART_ONLY) {
      if (key.get(next) !== key.get(previous)) {
        logger.warn({ source, key: key.path, running: key.get(previous), configured: key.get(next) }, `config reload: ${key.path} changed; it takes effect at the next restart`);
      }
    }
    next.server.listen = previous.server.listen;
    next.storage.url = previous.storage.url;
    const changed = result.checksum !== this.loaded.checksum;
    this.loaded = { config: next, checksum: result.checksum, loadedAt: new Date() };
    this.deps.apply(next, previous);
    metrics.reloaded(true, this.loaded.loadedAt);
    this.lastReloadOk = true;
    logger.info(
      { source, file: this.file, checksum: result.checksum, changed, integrations: next.integrations.map((i) => i.name) },
      changed ? 'config reloaded' : 'config reloaded (unchanged)',
    );
    return { ok: true, checksum: result.checksum, changed };
  }
}
