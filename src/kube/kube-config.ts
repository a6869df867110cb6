// The Kubernetes side of the Config: the in-cluster API server (KUBERNETES_SERVICE_HOST/PORT, the mounted
// service account) and --startup-taint with the node name (NODE_NAME from the downward API).
// Called from src/config/, which stays the only reader of argv and the environment.
import { showValue, UsageError } from '../cli/usage-error.ts';
import { inClusterEndpoint, type KubeApiEndpoint } from './api-client.ts';
import { TAINT_EFFECTS, type TaintEffect, type TaintSelector } from './node-taints.ts';

export interface StartupTaintConfig {
  readonly taint: TaintSelector;
  /** The agent's own node: the only one it ever patches. */
  readonly nodeName: string;
}

// Kubernetes qualified names: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every((l) => DNS_LABEL.test(l));
}

/** `KEY` or `KEY:EFFECT`, KEY a qualified name (`example.com/agent-not-ready`), EFFECT NoSchedule etc. */
export function toTaintSelector(flag: string, raw: string): TaintSelector {
  const value = raw.trim();
  const colon = value.lastIndexOf(':');
  const key = colon === -1 ? value : value.slice(0, colon);
  const effect = colon === -1 ? undefined : value.slice(colon + 1);
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const keyOk = key.length <= 317 && NAME_PART.test(name) && (prefix === undefined || isDnsSubdomain(prefix));
  if (!keyOk || key.includes('=')) {
    throw new UsageError(
      `invalid value ${showValue(raw)} for ${flag}: expected a taint key such as example.com/agent-not-ready, optionally :EFFECT (a value is not needed)`,
    );
  }
  if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    throw new UsageError(
      `invalid value ${showValue(raw)} for ${flag}: the effect must be one of ${TAINT_EFFECTS.join(', ')}`,
    );
  }
  return effect === undefined ? { key } : { key, effect: effect as TaintEffect };
}

/** The in-cluster API server (undefined outside a pod); malformed variables are a UsageError. */
export function readKubeApi(
  env: Record<string, string | undefined>,
  serviceAccountDir?: string,
): KubeApiEndpoint | undefined {
  try {
    return inClusterEndpoint(env, serviceAccountDir);
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
}

/** --startup-taint with its node name; undefined when the flag is unset or empty. Needs the API server. */
export function readStartupTaint(
  flag: string,
  raw: string | undefined,
  env: Record<string, string | undefined>,
  kubeApi: KubeApiEndpoint | undefined,
): StartupTaintConfig | undefined {
  // An empty value counts as unset, so a manifest can pass `--startup-taint=$(STARTUP_TAINT)` either way.
  if (raw === undefined || raw.trim() === '') return undefined;
  const taint = toTaintSelector(flag, raw);
  const nodeName = env['NODE_NAME'] ?? '';
  if (nodeName === '') {
    throw new UsageError(`${flag} needs the node name in NODE_NAME (env valueFrom fieldRef spec.nodeName)`);
  }
  if (!isDnsSubdomain(nodeName)) {
    throw new UsageError(`invalid value ${showValue(nodeName)} for NODE_NAME: expected a node name`);
  }
  if (kubeApi === undefined) {
    throw new UsageError(
      `${flag} needs the Kubernetes API server: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset (not in a pod?)`,
    );
  }
  return { taint, nodeName };
}
