// The one error table: what the credential path and the emulator read from it.
import { describe, expect, test } from 'bun:test';
import {
  AgentError,
  EKS_AUTH_CODES,
  ERROR_SPECS,
  evicts,
  isRemembered,
  TOKEN_CHECK_RESULTS,
} from '../src/errors.ts';

describe('error table', () => {
  test("EKS Auth's nine modelled errors, in its service model's order", () => {
    expect(EKS_AUTH_CODES).toEqual([
      'AccessDeniedException',
      'ExpiredTokenException',
      'InvalidTokenException',
      'ResourceNotFoundException',
      'InvalidParameterException',
      'InvalidRequestException',
      'ThrottlingException',
      'InternalServerException',
      'ServiceUnavailableException',
    ]);
  });

  test('only the four answers about the pod itself evict and are remembered', () => {
    const codes = Object.keys(ERROR_SPECS) as (keyof typeof ERROR_SPECS)[];
    const matching = (check: (e: AgentError) => boolean): string[] =>
      codes.filter((c) => check(new AgentError(c, 'x')));
    const podLevel: string[] = [
      'AccessDeniedException',
      'ExpiredTokenException',
      'InvalidTokenException',
      'ResourceNotFoundException',
    ];
    expect(matching(evicts)).toEqual(podLevel);
    expect(matching(isRemembered)).toEqual(podLevel);
  });

  test('token-check result labels are the codes a token check can end with', () => {
    expect(TOKEN_CHECK_RESULTS).toEqual([
      'InvalidToken',
      'TokenRejected',
      'KeysUnavailable',
      'Overloaded',
      'InternalError',
    ]);
  });
});
