import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PortalSearchQuery, SearchQuery, SearchResults } from '../../../common/contract/search.js';
import type { ServiceContext } from '../../lib/context.js';
import { withErrors } from '../../lib/schemas.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { createSearchService } from './search.service.js';

/** Search messages (rule 16): staff across their chamber, patients in their own Inbox. */
export const searchRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (
  app,
  { ctx },
) => {
  const search = createSearchService(ctx);

  app.get(
    '/api/v1/search',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Search'],
        summary:
          'Search messages: the messages of the chamber this user may see that hold the words, best matches first among the most recent, with the matching words marked',
        querystring: SearchQuery,
        response: withErrors({ 200: SearchResults }),
      },
    },
    async (request) => search.searchAsStaff(staffOf(request), request.query),
  );

  app.get(
    '/api/v1/portal/search',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary:
          "Search: the patient's own messages that hold the words, best matches first among the most recent, with the matching words marked",
        querystring: PortalSearchQuery,
        response: withErrors({ 200: SearchResults }),
      },
    },
    async (request) => search.searchAsPatient(patientOf(request), request.query),
  );
};
