// Reads the AWS SDK's partition data from the installed @aws-sdk/core and reduces it to the agent's file
// (scripts/update-partitions.ts writes it; test/eks-auth/partitions.test.ts checks the committed copy).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const PARTITIONS_FILE = 'src/eks-auth/partitions.json';
/** Where @aws-sdk/core keeps the data its `partition()` resolver reads (not in its exports map). */
const DATA_MODULE = 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js';

interface SdkPartition {
  id: string;
  regionRegex: string;
  regions: Record<string, unknown>;
  outputs: { dnsSuffix: string; dualStackDnsSuffix: string; supportsFIPS: boolean; supportsDualStack: boolean };
}

export async function loadSdkPartitions(): Promise<{ version: string; partitions: SdkPartition[] }> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('@aws-sdk/core/package.json');
  const { version } = require(pkgPath) as { version: string };
  const mod = (await import(join(dirname(pkgPath), DATA_MODULE))) as {
    partitionsInfo: { partitions: SdkPartition[] };
  };
  return { version, partitions: mod.partitionsInfo.partitions };
}

export function toAgentPartitions(sdk: { version: string; partitions: SdkPartition[] }) {
  return {
    source: `@aws-sdk/core@${sdk.version} ${DATA_MODULE} (scripts/update-partitions.ts)`,
    partitions: sdk.partitions.map((p) => ({
      id: p.id,
      regionRegex: p.regionRegex,
      regions: Object.keys(p.regions),
      dnsSuffix: p.outputs.dnsSuffix,
      dualStackDnsSuffix: p.outputs.dualStackDnsSuffix,
      supportsFIPS: p.outputs.supportsFIPS,
      supportsDualStack: p.outputs.supportsDualStack,
    })),
  };
}
