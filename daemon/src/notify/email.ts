/**
 * The email target: a plain-text summary over SMTP, with nodemailer as the SMTP client (STARTTLS, implicit TLS,
 * AUTH PLAIN/LOGIN, dot-stuffing and header encoding are easy to get subtly wrong by hand).
 * With starttls the upgrade is REQUIRED: a server (or a man in the middle) that does not offer STARTTLS gets
 * nothing, rather than the password in clear text. A fresh connection per attempt; nothing is pooled.
 */
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import type { EmailTarget } from '../config/types.js';
import { DeliveryError, describeNetworkError } from './delivery-error.js';
import { headline, summaryText, type SyncEvent } from './event.js';
import type { Attempt } from './webhook.js';

export function emailSubject(event: SyncEvent): string {
  return `[rosterd] ${headline(event)}`;
}

export async function sendEmail(target: EmailTarget, event: SyncEvent, a: Attempt): Promise<void> {
  const smtp = target.smtp;
  const password = smtp.password ? await a.resolveSecret(smtp.password) : undefined;
  let ca: string | undefined;
  if (smtp.caFile) {
    try {
      ca = await readFile(smtp.caFile, 'utf8');
    } catch (err) {
      throw new DeliveryError(`cannot read smtp.caFile ${smtp.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, true);
    }
  }
  const ms = smtp.timeoutSeconds * 1000;
  const transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls,
    auth: smtp.username && password !== undefined ? { user: smtp.username, pass: password } : undefined,
    tls: { minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) },
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const onAbort = () => transporter.close();
  a.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await transporter.sendMail({
      from: target.from,
      to: target.to,
      subject: emailSubject(event),
      text: summaryText(event),
      headers: { 'X-Rosterd-Event': event.kind, 'X-Rosterd-Delivery': a.deliveryId },
    });
  } catch (err) {
    if (a.signal.aborted) throw new DeliveryError('abandoned at shutdown', false);
    throw describeSmtpError(err, smtp.host, smtp.timeoutSeconds);
  } finally {
    a.signal.removeEventListener('abort', onAbort);
    transporter.close();
  }
}

/**
 * nodemailer's own messages can quote the server's reply; only codes and numbers are kept. A 5xx reply is
 * permanent (bad login, rejected recipient), so it is not retried; 4xx and network trouble are.
 */
function describeSmtpError(err: unknown, host: string, timeoutSeconds: number): DeliveryError {
  const e = err as { code?: unknown; originalCode?: unknown; responseCode?: unknown; command?: unknown };
  // nodemailer files socket and TLS errors under ESOCKET, keeping Node's own code as originalCode.
  const socketError = { code: typeof e.originalCode === 'string' ? e.originalCode : e.code };
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' && /^[A-Z ]{2,20}$/.test(e.command) ? ` to ${e.command}` : '';
  switch (e.code) {
    case 'EAUTH':
      return new DeliveryError(`the SMTP server ${host} refused the login${reply ? ` (reply ${reply})` : ''}: check smtp.username and the password secret`, reply === undefined || reply < 500);
    case 'ETLS':
      return new DeliveryError(`the SMTP server ${host} did not complete TLS (STARTTLS not offered, or refused); nothing was sent in clear text`, false);
    case 'EENVELOPE':
      return new DeliveryError(`the SMTP server ${host} refused the sender or a recipient${reply ? ` (reply ${reply})` : ''}`, reply === undefined || reply < 500);
    case 'ETIMEDOUT':
      return new DeliveryError(`the SMTP server ${host} gave no answer within ${timeoutSeconds}s`, true);
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS': {
      const net = describeNetworkError(socketError, timeoutSeconds);
      return new DeliveryError(`cannot reach the SMTP server ${host}: ${net.message}`, net.retry);
    }
    default:
      if (reply !== undefined) return new DeliveryError(`the SMTP server ${host} answered ${reply}${command}`, reply < 500);
      // Socket errors keep their Node code (ECONNREFUSED, ...).
      const net = describeNetworkError(socketError, timeoutSeconds);
      return new DeliveryError(`cannot reach the SMTP server ${host}: ${net.message}`, net.retry);
  }
}
