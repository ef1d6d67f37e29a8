/**
 * A failed delivery attempt, described in words that are safe to log: the messages are built here from codes
 * and statuses, never copied from the URL or the library's error text (a Slack URL or an SMTP reply could carry
 * a credential). `retry` says whether another attempt can help.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** Node and undici network errors, by code, in a few words. */
export function describeNetworkError(err: unknown, timeoutSeconds: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (e.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'ETIMEOUT') {
    return new DeliveryError(`no answer within ${timeoutSeconds}s`, true);
  }
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return new DeliveryError('abandoned at shutdown', false);
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed (temporary)',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection closed unexpectedly',
    EPIPE: 'connection closed unexpectedly',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted (self-signed; set caFile)',
    SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted (set caFile for a private CA)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted (set caFile for a private CA)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
    CERT_HAS_EXPIRED: 'TLS certificate has expired',
  };
  // A certificate problem is a configuration problem: another attempt minutes later meets the same certificate.
  const tlsTrust = code !== undefined && /CERT|SIGNATURE|ALTNAME/.test(code);
  return new DeliveryError(code ? (words[code] ?? `network error ${code}`) : 'network error', !tlsTrust);
}
