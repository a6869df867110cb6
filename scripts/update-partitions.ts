// Regenerates src/eks-auth/partitions.json from the AWS SDK's own partition data (the `partitionsInfo` that
// @aws-sdk/core's endpoint resolver uses), keeping only what EKS Auth's endpoint rules read. Run after
// upgrading the AWS SDK packages: `bun scripts/update-partitions.ts`. A test fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSdkPartitions, PARTITIONS_FILE, toAgentPartitions } from './sdk-partitions.ts';

const file = join(import.meta.dir, '..', PARTITIONS_FILE);
writeFileSync(file, `${JSON.stringify(toAgentPartitions(await loadSdkPartitions()), null, 2)}\n`);
console.log(`wrote ${PARTITIONS_FILE}`);
