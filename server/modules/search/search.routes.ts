import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../lib/context.js';

/** Search messages (rule 16): staff across their chamber, patients in their own Inbox. */
export const searchRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async () => {};
