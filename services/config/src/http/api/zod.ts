import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// `.openapi()` (parameter descriptions, a query text's wire type) exists once this has run, so
// every schema of the API imports zod from here.
extendZodWithOpenApi(z);

export { z };
