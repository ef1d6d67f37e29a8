/**
 * Real receivers on loopback for the notification tests: an HTTP server (webhook and Slack) that records every
 * request and answers with scripted statuses, an SMTP server (smtp-server, real SMTP over TCP with STARTTLS and
 * AUTH) that records every message, a self-signed certificate for 127.0.0.1 made with openssl, and secret files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { SyncEvent } from '../../daemon/src/notify/index.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class HttpReceiver {
  readonly requests: Received[] = [];
  /** Status for the n-th request (1-based) to a path; 200 unless scripted. 0 = never answer. */
  status: (path: string, n: number) => number = () => 200;
  private server: Server;
  private readonly held = new Set<import('node:http').ServerResponse>();
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        this.requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const n = this.requests.filter((r) => r.path === path).length;
        const status = this.status(path, n);
        if (status === 0) {
          this.held.add(res);
          return;
        }
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  to(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent, with quoted-printable bodies decoded. */
  text: string;
  subject: string;
  secure: boolean;
}

export class SmtpReceiver {
  readonly messages: ReceivedMail[] = [];
  readonly logins: { username: string; ok: boolean; secure: boolean }[] = [];
  private server: SMTPServer;
  port = 0;

  constructor(options: { key: string; cert: string; username: string; password: string; offerStarttls?: boolean }) {
    this.server = new SMTPServer({
      key: options.key,
      cert: options.cert,
      secure: false,
      // Hidden AND refused: a server that really cannot do STARTTLS (hiding alone still accepts the command).
      hideSTARTTLS: options.offerStarttls === false,
      disabledCommands: options.offerStarttls === false ? ['STARTTLS'] : [],
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (auth, session, cb) => {
        const ok = auth.username === options.username && auth.password === options.password;
        this.logins.push({ username: auth.username ?? '', ok, secure: session.secure });
        cb(ok ? null : new Error('Invalid username or password'), ok ? { user: auth.username } : undefined);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            text: decodeQuotedPrintable(raw),
            // Headers unfolded (a long Subject is folded onto several lines).
            subject: /^Subject: (.*)$/im.exec(raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n([ \t])/g, '$1'))?.[1] ?? '',
            secure: session.secure,
          });
          cb();
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Soft line breaks and =XX escapes, so assertions (and canary searches) see the text as a reader would. */
export function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A temp folder for secret files and the certificate; the Notifier's secret policy allows exactly this folder. */
export class Workdir {
  readonly path = mkdtempSync(join(tmpdir(), 'rosterd-notify-'));
  write(name: string, text: string): string {
    const file = join(this.path, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  }
  /** A self-signed certificate for 127.0.0.1 (and localhost): the SMTP server's, and the client's caFile. */
  certificate(): { key: string; cert: string; caFile: string } {
    const keyFile = join(this.path, 'smtp-key.pem');
    const certFile = join(this.path, 'smtp-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), caFile: certFile };
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export function event(kind: SyncEvent['kind'], overrides: Partial<SyncEvent> = {}): SyncEvent {
  return {
    kind,
    integration: 'springfield',
    job: 'classes',
    runId: 42,
    status: kind === 'recovered' ? 'succeeded' : kind,
    counts: { classes: { created: 2, updated: 5, deleted: 1 }, students: { created: 10, updated: 3, deleted: kind === 'held' ? 812 : 4 } },
    topIssues: kind === 'succeeded_with_issues' ? [{ rule: 'user-without-email', count: 3 }, { rule: 'class-without-teacher', count: 1 }] : [],
    ...(kind === 'failed' ? { error: { code: 'ROSTERD_SIS_AUTH_FAILED', message: 'the SIS refused the client credentials' } } : {}),
    runUrl: 'http://127.0.0.1:8080/api/v1/runs/42',
    at: '2025-03-04T22:00:05.000Z',
    ...overrides,
  };
}

/** A logger that keeps every line, to search for secrets. */
export function captureLogger(): { lines: { level: string; obj: object; msg: string }[]; logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }; text(): string } {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    logger: {
      warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
      info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    },
    text: () => JSON.stringify(lines),
  };
}
