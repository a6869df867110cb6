// The nine modelled errors of EKS Auth AssumeRoleForPodIdentity (service model, facts/eks-auth-api.md): one
// list for the client that classifies them and the emulator that produces them.
export const EKS_AUTH_ERROR_CODES = [
  'AccessDeniedException',
  'ExpiredTokenException',
  'InvalidTokenException',
  'ResourceNotFoundException',
  'InvalidParameterException',
  'InvalidRequestException',
  'ThrottlingException',
  'InternalServerException',
  'ServiceUnavailableException',
] as const;

export type EksAuthErrorCode = (typeof EKS_AUTH_ERROR_CODES)[number];
