// Lets a second instance of this agent listen beside the first (a DaemonSet rollout with maxSurge: both pods
// are on the node's network at once) while any other program holding the port stays a clear start error.
//
// How: every listener binds with SO_REUSEPORT, but only after a bind without it has shown the port free, or
// shown it taken by a listener that answers with AGENT_HEADER. Linux then spreads new connections over both
// instances until the old one closes its socket. A holder without SO_REUSEPORT (the managed add-on's or EKS
// Auto Mode's built-in Go agent) makes the shared bind fail with EADDRINUSE, so it can never be joined.
import type { Server } from 'bun';
import { hostPort, reachableHost } from '../shared/host-port.ts';
import { VERSION } from '../version.ts';

/** Sent on every non-credentials answer of our listeners; its value is this agent's version. */
export const AGENT_HEADER = 'x-eks-pod-identity-agent';
export const AGENT_HEADERS: Readonly<Record<string, string>> = { [AGENT_HEADER]: VERSION };

/** How long the holder of a taken port gets to answer `GET /`. */
const HOLDER_CHECK_TIMEOUT_MS = 1_000;

export type PortHolder = 'agent' | 'other';

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Asks whoever holds host:port who it is: our agent answers any path with AGENT_HEADER. */
export async function portHolder(host: string, port: number): Promise<PortHolder> {
  try {
    const res = await fetch(`http://${hostPort(reachableHost(host), port)}/`, {
      signal: AbortSignal.timeout(HOLDER_CHECK_TIMEOUT_MS),
      // Our own node: never through HTTP_PROXY.
      proxy: false,
      keepalive: false,
    });
    await res.arrayBuffer().catch(() => {});
    return res.headers.has(AGENT_HEADER) ? 'agent' : 'other';
  } catch {
    // Not HTTP, silent, or gone: not something we may share with.
    return 'other';
  }
}

export class PortTakenError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(
    readonly holder: PortHolder | 'agent-without-reuseport',
    cause: unknown,
  ) {
    super(
      holder === 'agent-without-reuseport'
        ? 'the port is held by an older instance of this agent that does not share it'
        : 'the port is already in use by another program',
      { cause },
    );
    this.name = 'PortTakenError';
  }
}

/**
 * Binds with `serve(reusePort, port)`: alone when the port is free, beside another instance of this agent when
 * one holds it, never beside anything else (PortTakenError). Other bind errors are thrown as they are.
 */
export async function bindShared<T extends Server<undefined>>(
  host: string,
  port: number,
  serve: (reusePort: boolean, port: number) => T,
): Promise<T> {
  let probe: T;
  try {
    probe = serve(false, port);
  } catch (err) {
    if (errorCode(err) !== 'EADDRINUSE') throw err;
    const holder = await portHolder(host, port);
    if (holder !== 'agent') throw new PortTakenError(holder, err);
    try {
      return serve(true, port);
    } catch (shared) {
      if (errorCode(shared) === 'EADDRINUSE') throw new PortTakenError('agent-without-reuseport', shared);
      throw shared;
    }
  }
  // Free: bind again with SO_REUSEPORT so that the next instance can join. Port 0 (tests) keeps the port
  // the first bind picked.
  const boundPort = probe.port ?? port;
  probe.stop(true);
  return serve(true, boundPort);
}
