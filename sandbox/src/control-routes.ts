import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';

/**
 * The `/__sandbox` control routes every stand-in shares: read and change its knobs, queue faults,
 * reset. Each sandbox adds its own extras (the VAN journal, Livevox's session expiry) to the router
 * this returns.
 */
export function sandboxControlRouter<K, F>(options: {
  knobs: () => K;
  knobChanges: z.ZodType<Partial<K>>;
  setKnobs: (changes: Partial<K>) => K;
  reset: () => void;
  failNext?: { schema: z.ZodType<F>; queue: (fault: F) => void };
}): Router {
  const control = new Router({ prefix: '/__sandbox' });
  const parseOr400 = <T>(ctx: Koa.Context, schema: z.ZodType<T>): T | undefined => {
    const parsed = schema.safeParse(ctx.request.body ?? {});
    if (parsed.success) return parsed.data;
    ctx.status = 400;
    ctx.body = { error: parsed.error.message };
    return undefined;
  };
  control.get('/knobs', (ctx) => {
    ctx.body = options.knobs();
  });
  control.post('/knobs', (ctx) => {
    const changes = parseOr400(ctx, options.knobChanges);
    if (changes) ctx.body = options.setKnobs(changes);
  });
  if (options.failNext) {
    const { schema, queue } = options.failNext;
    control.post('/fail-next', (ctx) => {
      const fault = parseOr400(ctx, schema);
      if (fault === undefined) return;
      queue(fault);
      ctx.status = 204;
    });
  }
  control.post('/reset', (ctx) => {
    options.reset();
    ctx.status = 204;
  });
  return control;
}

/** `POST /__sandbox/fail-next` for stand-ins whose faults are a throttle (429) or an outage (5xx). */
export const throttleOrOutageFault = z.object({
  count: z.number().int().min(1),
  kind: z.enum(['429', '5xx']),
});
export type ThrottleOrOutageKind = z.infer<typeof throttleOrOutageFault>['kind'];
