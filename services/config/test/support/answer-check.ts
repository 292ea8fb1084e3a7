import { z } from 'zod';
import { answersOf } from '../../src/http/api/document';
import { errorAnswer } from '../../src/http/api/fields';
import { operations, type Operation } from '../../src/http/api/operations';

// Every answer a config test receives is held against the schema its operation declares, so the
// document cannot drift from what the service sends.

const routes = (Object.values(operations) as Operation[]).map((op) => ({
  op,
  pattern: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

function operationOf(method: string, pathname: string): Operation | undefined {
  const wanted = method.toLowerCase();
  return routes.find((route) => route.op.method === wanted && route.pattern.test(pathname))?.op;
}

/** Throws, naming the operation and what does not fit, when `response` is not what it declares. */
export async function checkAnswer(method: string, url: string, response: Response): Promise<void> {
  const { pathname } = new URL(url);
  const where = `${method} ${pathname} answered ${response.status}`;
  const op = operationOf(method, pathname);
  const answer = op ? answersOf(op)[response.status] : { description: 'no route', error: true as const };
  if (!answer) throw new Error(`${where}, a status its operation does not declare`);
  // A redirect's body is a courtesy line koa writes, not part of the contract.
  if (response.status >= 300 && response.status < 400) return;
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/html')) {
    // Browsers get every answer as a page, errors included.
    if (!answer.html && !answer.error && answer.text !== 'text/html')
      throw new Error(`${where} as HTML, which it does not declare`);
    return;
  }
  if (!type.startsWith('application/json')) return;
  const schema = answer.error ? errorAnswer : answer.json;
  if (!schema) throw new Error(`${where} with JSON, which it does not declare`);
  const result = schema.safeParse(await response.clone().json());
  if (!result.success)
    throw new Error(`${where}; the answer does not fit its schema:\n${z.prettifyError(result.error)}`);
}
