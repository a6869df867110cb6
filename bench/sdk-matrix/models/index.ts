// The client models of the SDK matrix, by row id.
import type { ClientModel } from './client-model.ts';
import { cpp } from './cpp-general-http-credentials-provider.ts';
import { dotnet } from './dotnet-generic-container-credentials.ts';
import { javaV2 } from './java-v2-container-credentials-provider.ts';
import { php } from './php-ecs-credential-provider.ts';
import { rubyChain } from './ruby-credential-provider-chain.ts';
import { rust } from './rust-aws-config-ecs.ts';

export const MODELS: Readonly<Record<string, ClientModel>> = {
  'java-v2': javaV2,
  rust,
  dotnet,
  cpp,
  php,
  'ruby-chain': rubyChain,
};
