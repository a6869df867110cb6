// A stand-in for whatever answers the EKS Auth call (a proxy, a hostile endpoint): answers every
// AssumeRoleForPodIdentity with what the test scripts, without checking signatures.
import type { Server } from 'bun';

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface ScriptedUpstream {
  readonly url: string;
  /** Every following call gets this answer. */
  answer: ScriptedAnswer;
  readonly calls: number;
  stop(): Promise<void>;
}

/** A valid 200 body whose credentials expire at `expiration` (a number or a string, sent as given). */
export function assumeRoleBody(expiration: unknown): string {
  return JSON.stringify({
    subject: { namespace: 'default', serviceAccount: 'app' },
    audience: 'pods.eks.amazonaws.com',
    podIdentityAssociation: {
      associationArn: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/test/a-1',
      associationId: 'a-1',
    },
    assumedRoleUser: {
      arn: 'arn:aws:sts::111122223333:assumed-role/r/s',
      assumeRoleId: 'AROAEXAMPLE:s',
    },
    credentials: {
      accessKeyId: 'ASIASCRIPTED',
      secretAccessKey: 'scripted-secret',
      sessionToken: 'scripted-session',
      expiration,
    },
  });
}

export function startScriptedUpstream(answer: ScriptedAnswer): ScriptedUpstream {
  let calls = 0;
  const upstream = {
    answer,
    get calls() {
      return calls;
    },
  } as ScriptedUpstream & { answer: ScriptedAnswer };
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch() {
      calls++;
      const a = upstream.answer;
      return new Response(a.body, {
        status: a.status,
        headers: { 'content-type': 'application/json', ...a.headers },
      });
    },
  });
  Object.defineProperty(upstream, 'url', { value: `http://127.0.0.1:${server.port}` });
  upstream.stop = () => server.stop(true);
  return upstream;
}
