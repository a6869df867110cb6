// Which AWS partition a region belongs to, and EKS Auth's default endpoint there (botocore's partition
// regexes; endpoints from shared facts/eks-auth-api.md). A region no partition claims has no default
// endpoint: the agent reports it in /readyz and the user sets --endpoint.

interface Partition {
  readonly name: string;
  readonly regionPattern: RegExp;
  /** EKS Auth's endpoint host suffix after `eks-auth.{region}.` */
  readonly suffix: string;
}

const PARTITIONS: readonly Partition[] = [
  { name: 'aws', regionPattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, suffix: 'api.aws' },
  { name: 'aws-cn', regionPattern: /^cn-\w+-\d+$/, suffix: 'api.amazonwebservices.com.cn' },
  { name: 'aws-us-gov', regionPattern: /^us-gov-\w+-\d+$/, suffix: 'api.aws' },
  { name: 'aws-iso', regionPattern: /^us-iso-\w+-\d+$/, suffix: 'c2s.ic.gov' },
  { name: 'aws-iso-b', regionPattern: /^us-isob-\w+-\d+$/, suffix: 'sc2s.sgov.gov' },
];

/** The partition of a region (already validated as a short region-shaped string), or undefined. */
export function partitionOf(region: string): string | undefined {
  return PARTITIONS.find((p) => p.regionPattern.test(region))?.name;
}

/** EKS Auth's default endpoint for a region, or undefined when no known partition claims it. */
export function defaultEksAuthEndpoint(region: string): string | undefined {
  const partition = PARTITIONS.find((p) => p.regionPattern.test(region));
  return partition && `https://eks-auth.${region}.${partition.suffix}`;
}
