// What the request layer knows about a token after checking it.

/** Claims read from a token whose shape and time claims were checked (signature possibly not). */
export interface TokenClaims {
  readonly iss: string | undefined;
  readonly sub: string | undefined;
  readonly aud: readonly string[];
  /** Seconds since epoch. */
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
  /** From the `kubernetes.io` claim, when present. */
  readonly namespace: string | undefined;
  readonly serviceAccount: string | undefined;
  readonly podName: string | undefined;
  readonly podUid: string | undefined;
}

/** A pod identity proven by a verified signature: safe to key the cache by. */
export interface VerifiedIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
  /** Token expiry, epoch seconds. */
  readonly exp: number;
}

/** Checks a token's signature and claims against the configured issuer. Rejections are AgentErrors. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
  /**
   * Whether signatures can be checked now (a key set is held). While false the credential service serves in
   * claims mode, keyed by the exact token; absent means always.
   */
  canVerify?(): boolean;
  /** Asks the key source to load soon (rate-limited, in the background); called on claims-mode misses. */
  requestKeys?(): void;
  /** Gets ready to check at once (starts a worker); called when keys have loaded at start. */
  warm?(): void;
  /** Where signatures are checked: a worker pool, or inline on the main thread. Worth logging at start. */
  readonly mode?: 'inline' | 'workers';
  close(): Promise<void>;
}
