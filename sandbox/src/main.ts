import { z } from 'zod';
import { DEMO_FIXTURE_PATH, loadFixture } from './fixture';
import { startAirtableSandbox } from './airtable-sandbox';
import { startLivevoxSandbox } from './livevox-sandbox';
import { startVanSandbox } from './van-sandbox';

// Starts the three stand-ins on fixed ports for a laptop demo or docker-compose.
const port = z.coerce.number().int().min(0).max(65535);
const env = z
  .object({
    VAN_SANDBOX_PORT: port.default(18081),
    AIRTABLE_SANDBOX_PORT: port.default(18082),
    LIVEVOX_SANDBOX_PORT: port.default(18083),
    SANDBOX_HOST: z.string().default('127.0.0.1'),
    SANDBOX_FIXTURE: z.string().default(DEMO_FIXTURE_PATH),
  })
  .safeParse(process.env);

async function main(): Promise<void> {
  if (!env.success) {
    console.error(
      `sandbox: bad environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    process.exit(2);
  }
  const config = env.data;
  const fixture = loadFixture(config.SANDBOX_FIXTURE);
  const host = config.SANDBOX_HOST;
  const van = await startVanSandbox({ fixture: fixture.van, port: config.VAN_SANDBOX_PORT, host });
  const airtable = await startAirtableSandbox({
    fixture: fixture.airtable,
    port: config.AIRTABLE_SANDBOX_PORT,
    host,
  });
  const livevox = await startLivevoxSandbox({
    fixture: fixture.livevox,
    port: config.LIVEVOX_SANDBOX_PORT,
    host,
  });
  // Credentials live in the fixture file; they are never printed.
  process.stdout.write(
    [
      `sandbox fixture ${config.SANDBOX_FIXTURE}`,
      `VAN       ${van.url}/v4/      (control: ${van.url}/__sandbox/knobs, /__sandbox/journal)`,
      `Airtable  ${airtable.url}/v0/      (control: ${airtable.url}/__sandbox/knobs)`,
      `Livevox   ${livevox.url}/      (control: ${livevox.url}/__sandbox/knobs)`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void Promise.all([van.close(), airtable.close(), livevox.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
