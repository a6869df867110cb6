// The limits every Bun.serve of the agent shares (data, probe and metrics listeners, the probe socket): all
// they serve are tiny GETs, so a body beyond a small bound is not read, and an idle kept-alive connection is
// closed (SDKs reconnect) so idle sockets stay bounded. The header bound is a runtime flag instead
// (MAX_REQUEST_HEADER_BYTES in connection-guard.ts): Bun.serve has no option for it.

/** Keep-alive connections idle longer than this are closed. */
export const IDLE_TIMEOUT_SECONDS = 30;
/** Requests carry no body; anything larger is refused before it is read. */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024;

/** Spread into every Bun.serve options object. */
export const LISTENER_LIMITS = {
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
} as const;
