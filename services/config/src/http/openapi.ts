import Router from '@koa/router';
import { openApiDocument } from './api/document';
import { operations } from './api/operations';
import { serve } from './serve-operation';

export { openApiDocument };

export function openApiRoutes(): Router {
  const router = new Router();
  serve(router, operations.openApi, (ctx) => {
    ctx.body = openApiDocument;
  });
  return router;
}
