import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';

const FLUSH_AT = 1 << 20; // write in ~1 MiB chunks: few syscalls, bounded memory

/**
 * A file that appears under its name only once completely written (temp file in the same folder, fsync, then
 * rename), so a reader or a crash never sees half a file. Until `commit`, the old file stays as it was.
 */
export class AtomicFile {
  private pending: string[] = [];
  private pendingBytes = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const dir = join(path, '..');
    const tempPath = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    // Owner-only: export files hold students' names and emails.
    const handle = await open(tempPath, 'wx', 0o600);
    return new AtomicFile(path, tempPath, handle);
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(chunk, null, 'utf8');
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    this.closed = true;
    await rename(this.tempPath, this.path);
  }

  /** Throws nothing: called while another error is already on its way up. */
  async abort(): Promise<void> {
    if (!this.closed) await this.handle.close().catch(() => undefined);
    this.closed = true;
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}
