// EKS Auth's default endpoint, resolved as the AWS SDKs do: the region's partition from the SDK's own
// partition data (partitions.json, generated from @aws-sdk/core by scripts/update-partitions.ts; never edited
// by hand), then the EKS Auth endpoint rule set (service model 2023-11-26, the same in botocore and the JS SDK):
//   FIPS     -> https://eks-auth-fips.{region}.{dualStackDnsSuffix | dnsSuffix}
//   default  -> https://eks-auth.{region}.{dualStackDnsSuffix | dnsSuffix}
// with the dual-stack suffix wherever the partition supports dual-stack (EKS Auth has no UseDualStack switch:
// its endpoints are dual-stack there). FIPS in a partition without FIPS has no endpoint.
import data from './partitions.json' with { type: 'json' };

export interface PartitionInfo {
  readonly id: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
  readonly supportsFIPS: boolean;
  readonly supportsDualStack: boolean;
}

interface CompiledPartition extends PartitionInfo {
  readonly regionRegex: RegExp;
  readonly regions: ReadonlySet<string>;
}

// The SDK's regexes are anchored, fixed-shape and run only on the configured region (validated, <= 64 chars).
const PARTITIONS: readonly CompiledPartition[] = data.partitions.map((p) => ({
  ...p,
  regionRegex: new RegExp(p.regionRegex),
  regions: new Set(p.regions),
}));

/** The SDK's rule: a listed region, else the first partition whose regex matches, else the aws partition. */
export function partitionOf(region: string): PartitionInfo {
  return (
    PARTITIONS.find((p) => p.regions.has(region)) ??
    PARTITIONS.find((p) => p.regionRegex.test(region)) ??
    PARTITIONS.find((p) => p.id === 'aws')!
  );
}

/**
 * True when a partition lists the region or its regex claims it. The SDKs send any other region to the aws
 * partition (so does defaultEksAuthEndpoint); readiness reports such a region, as it is most likely a typo.
 */
export function isKnownRegion(region: string): boolean {
  return PARTITIONS.some((p) => p.regions.has(region) || p.regionRegex.test(region));
}

export interface EndpointOptions {
  /** AWS_USE_FIPS_ENDPOINT. */
  readonly useFips?: boolean;
}

/** EKS Auth's default endpoint for a region; undefined when FIPS is asked for where the partition has none. */
export function defaultEksAuthEndpoint(region: string, options: EndpointOptions = {}): string | undefined {
  const p = partitionOf(region);
  if (options.useFips && !p.supportsFIPS) return undefined;
  const suffix = p.supportsDualStack ? p.dualStackDnsSuffix : p.dnsSuffix;
  return `https://eks-auth${options.useFips ? '-fips' : ''}.${region}.${suffix}`;
}
