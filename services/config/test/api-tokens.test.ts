import { startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { standaloneServiceEnv } from '../../../test/support/env';

// API_TOKENS as the started service reads it: an entry it cannot parse stops it from starting
// (exit 78, EX_CONFIG) with the entry's position and never the token; a bare token, the format
// before roles that the README keeps working, is still an operator.

const GOOD = 'ops:operator:good-operator-token-0123';
const BARE = 'bare-legacy-token-0123456789';
const SECRET = 'hunter2-secret-token-0123456789';

/** The started service's failure: its exit code and everything it printed. */
async function refusal(apiTokens: string): Promise<string> {
  return startServiceProcess(
    'config',
    { ...standaloneServiceEnv('api-tokens'), API_TOKENS: apiTokens },
    { ...TEST_LAUNCH, timeoutMs: 15_000 },
  ).then(
    async (service) => {
      await service.stop('SIGKILL');
      return 'the config service started';
    },
    (error: Error) => error.message,
  );
}

test.each([
  ['name:token, which could be read as a bare token', `${GOOD},ana:${SECRET}`, 2],
  ['an unknown role', `ana:admin:${SECRET}`, 1],
  ['a name with a space', `${BARE},ana smith:operator:${SECRET}`, 2],
  ['no token after the role', `${GOOD},ana:organiser:`, 2],
])(
  'an entry with %s stops the service, naming its position and not its token',
  async (_what, value, position) => {
    const message = await refusal(value);
    expect(message).toMatch(/config exited with 78/);
    expect(message).toContain(`API_TOKENS: entry ${position} is not name:role[:candidates]:token`);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('hunter2');
  },
);

test('a bare token still starts the service as an operator, beside a named one', async () => {
  const service = await startServiceProcess(
    'config',
    {
      ...standaloneServiceEnv('api-tokens'),
      API_TOKENS: `${GOOD},${BARE}`,
    },
    TEST_LAUNCH,
  );
  try {
    for (const token of [GOOD.split(':')[2]!, BARE]) {
      const audit = await fetch(`${service.url}/audit`, { headers: { authorization: `Bearer ${token}` } });
      expect(audit.status).toBe(200);
    }
    expect(service.output()).toMatch(/API_TOKENS holds bare tokens, each taken as an operator/);
    expect(service.output()).not.toContain(BARE);
  } finally {
    await service.stop('SIGTERM');
  }
});
