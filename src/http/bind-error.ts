// Why a data listener could not be bound, in words an operator can act on: the likely holder of a taken
// port, an address that `initialize` should have added. Also which errors mean "IPv6 is not usable here",
// the one case that is retried in the background instead of failing the start (listeners.ts).
import { hostPort } from '../shared/host-port.ts';
import { PortTakenError } from './port-sharing.ts';

/** What usually holds the agent's port on an EKS node when it is not another instance of this agent. */
export const PORT_TAKEN_HINT =
  "on EKS usually the managed add-on's agent (remove it first: `aws eks delete-addon --addon-name " +
  'eks-pod-identity-agent --preserve`, see "Migrating from the managed add-on" in the README) or, on an EKS ' +
  "Auto Mode node, the node's built-in agent (the DaemonSets exclude eks.amazonaws.com/compute-type=auto; " +
  "check this node's labels)";

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Errors that mean "this IPv6 address is not usable here", as opposed to a real conflict. */
export function isAddressUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT' || code === 'EINVAL'
  );
}

export class BindError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const code = errorCode(cause);
    const why =
      cause instanceof PortTakenError
        ? cause.holder === 'agent-without-reuseport'
          ? `${cause.message}: let it finish stopping, or roll out with maxUnavailable instead of maxSurge`
          : `${cause.message}: ${PORT_TAKEN_HINT}`
        : code === 'EADDRINUSE'
          ? `the port is already in use: ${PORT_TAKEN_HINT}`
          : code === 'EADDRNOTAVAIL'
            ? 'the address is not assigned to this host (run `initialize`)'
            : String((cause as Error)?.message ?? cause);
    super(`cannot listen on http://${hostPort(host, port)}: ${why}`, { cause });
    this.name = 'BindError';
  }
}
