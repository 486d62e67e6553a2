import { expect, test } from '@playwright/test';
import { parseChallenges, supportedChallenge } from '../../lib/registry/challenge';

test.describe('parseChallenges', () => {
  test('should read a bearer challenge with a comma in the scope', () => {
    const header =
      'Bearer realm="https://auth.example/token",service="registry.example",' +
      'scope="repository:team/app:pull,push"';
    expect(parseChallenges(header)).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:team/app:pull,push',
        },
      },
    ]);
  });

  test('should read several challenges, bare values and escapes', () => {
    const header = 'Basic realm="a \\"quoted\\" realm", Bearer realm=https://t.example/x, error=invalid_token';
    const challenges = parseChallenges(header);

    expect(challenges).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'https://t.example/x', error: 'invalid_token' } },
    ]);
    expect(supportedChallenge(challenges)?.scheme).toBe('bearer');
  });

  test('should ignore unknown schemes and empty headers', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(supportedChallenge(parseChallenges('Negotiate abc=='))).toBeUndefined();
    expect(supportedChallenge(parseChallenges('basic realm="x"'))?.scheme).toBe('basic');
  });
});
