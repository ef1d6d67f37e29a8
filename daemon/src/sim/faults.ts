/** The misbehaviours the simulated SIS can switch on, each seen at real SIS vendors. */
export interface Faults {
  /** Serve at most N records per page whatever limit asks. */
  clampLimit: number | null;
  omitTotalCount: boolean;
  omitLink: boolean;
  /** Every Nth data request answers 429 with Retry-After. */
  rateLimitEvery: number | null;
  retryAfterSeconds: number;
  /** Every Nth data request answers 503. */
  unavailableEvery: number | null;
  /** Every Nth data request: the socket is destroyed without an answer. */
  resetEvery: number | null;
  /** Token lifetime (expires_in); tokens past it answer 401. */
  tokenTtlSeconds: number;
  /** Tokens stop working at half the lifetime expires_in says. */
  expireTokensEarly: boolean;
  latencyMs: number;
  /**
   * A load balancer that pins clients to a node with a cookie (Aeries): a token works only on the node that issued
   * it, so a client that does not send the SIMLB cookie back gets 401 on its data requests.
   */
  stickySessions: boolean;
  /** Data paths answer 200 text/html (a login page: a misconfigured prefix or proxy). */
  htmlResponses: boolean;
  /** Collections served empty, with X-Total-Count 0 (e.g. ['enrollments']). */
  emptyCollections: string[];
  /** Serve only N records but keep X-Total-Count at the true total. */
  shortCollections: Record<string, number>;
  /** 500 for any page of the collection at offset >= N. */
  failCollectionsAfter: Record<string, number>;
}

export const DEFAULT_FAULTS: Faults = {
  clampLimit: null,
  omitTotalCount: false,
  omitLink: false,
  rateLimitEvery: null,
  retryAfterSeconds: 1,
  unavailableEvery: null,
  resetEvery: null,
  tokenTtlSeconds: 3600,
  expireTokensEarly: false,
  latencyMs: 0,
  stickySessions: false,
  htmlResponses: false,
  emptyCollections: [],
  shortCollections: {},
  failCollectionsAfter: {},
};
