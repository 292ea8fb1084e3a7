// `node dist/main.js [command] [flags]`; the CronJob runs `extract` (the default) hourly, and
// `extract --continuous` every few minutes when a candidate syncs continuously.

export type ExtractorCommand =
  | { name: 'extract'; candidate?: string; window?: string; now?: Date; continuous?: true }
  | { name: 'resume'; runId: string }
  | { name: 'archive' }
  | { name: 'audit-reports'; now?: Date }
  | { name: 'migrate' };

const USAGE = [
  'usage: extractor [extract] [--candidate slug] [--window YYYY-MM-DD | --continuous] [--now ISO-8601]',
  '       extractor resume --run <runId>',
  '       extractor archive',
  '       extractor audit-reports',
  '       extractor migrate',
].join('\n');

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export function parseCommandLine(args: string[]): ExtractorCommand {
  const [first, ...rest] = args;
  const name = first === undefined || first.startsWith('--') ? 'extract' : first;
  const flagArgs = name === first ? rest : args;
  const flags = new Map<string, string>();
  // The one flag without a value.
  const switches = new Set<string>();
  for (let i = 0; i < flagArgs.length; i += 2) {
    const flag = flagArgs[i];
    if (flag === '--continuous') {
      switches.add('continuous');
      i -= 1;
      continue;
    }
    const value = flagArgs[i + 1];
    if (!flag?.startsWith('--') || value === undefined || value.startsWith('--')) {
      throw new UsageError(`bad argument ${flag ?? ''}`);
    }
    flags.set(flag.slice(2), value);
  }
  const allow = (...names: string[]): void => {
    for (const flag of [...flags.keys(), ...switches])
      if (!names.includes(flag)) throw new UsageError(`unknown flag --${flag} for ${name}`);
  };
  const instant = (flag: string): Date | undefined => {
    const text = flags.get(flag);
    if (text === undefined) return undefined;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--${flag} must be an ISO 8601 instant`);
    return date;
  };
  switch (name) {
    case 'extract': {
      allow('candidate', 'window', 'now', 'continuous');
      const window = flags.get('window');
      if (window !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(window))
        throw new UsageError('--window must be YYYY-MM-DD');
      if (window !== undefined && switches.has('continuous'))
        throw new UsageError('--window and --continuous do not go together');
      const command: ExtractorCommand = { name };
      const candidate = flags.get('candidate');
      if (candidate !== undefined) command.candidate = candidate;
      if (window !== undefined) command.window = window;
      const now = instant('now');
      if (now) command.now = now;
      if (switches.has('continuous')) command.continuous = true;
      return command;
    }
    case 'resume': {
      allow('run');
      const runId = flags.get('run');
      if (!runId) throw new UsageError('resume needs --run <runId>');
      return { name, runId };
    }
    case 'archive':
    case 'migrate':
      allow();
      return { name };
    case 'audit-reports': {
      allow('now');
      const now = instant('now');
      return now ? { name, now } : { name };
    }
    default:
      throw new UsageError(`unknown command ${name}`);
  }
}
