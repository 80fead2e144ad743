import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import type { Database } from './db/connect.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createSignals, type AppSignals, type ServiceContext } from './lib/context.js';
import { rateLimitStore } from './lib/rate-limit-store.js';
import { lazySchemaCompilers } from './lib/lazy-schema-compilers.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { reportRoutes } from './modules/reports/reports.routes.js';
import { emailJobRoutes } from './modules/email-jobs/email-job.routes.js';
import { createEmailJobService } from './modules/email-jobs/email-job.service.js';
import { createEventHub } from './modules/events/event.hub.js';
import { documentRoutes } from './modules/documents/document.routes.js';
import { createDocumentService } from './modules/documents/document.service.js';
import { createS3Store } from './modules/documents/document-s3.store.js';
import {
  createFolderStore,
  DocumentStoreError,
  type DocumentStore,
} from './modules/documents/document.store.js';
import multipart from '@fastify/multipart';
import { medicalItemRoutes } from './modules/medical-data/medical-item.routes.js';
import { createMedicalItemService } from './modules/medical-data/medical-item.service.js';
import { eventRoutes } from './modules/events/event.routes.js';
import { fhirRoutes } from './modules/fhir/fhir.routes.js';
import { createFhirService } from './modules/fhir/fhir.service.js';
import { integrationRoutes } from './modules/integrations/integration.routes.js';
import { createIntegrationService } from './modules/integrations/integration.service.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { chargeBandRoutes } from './modules/charge-bands/charge-band.routes.js';
import { createChargeBandService } from './modules/charge-bands/charge-band.service.js';
import { conversationRoutes } from './modules/messaging/conversation.routes.js';
import { createConversationService } from './modules/messaging/conversation.service.js';
import { messagingRoutes } from './modules/messaging/messaging.routes.js';
import { createMessagingService } from './modules/messaging/messaging.service.js';
import { operationsRoutes } from './modules/operations/operations.routes.js';
import { notificationRoutes } from './modules/notifications/notification.routes.js';
import { createNotificationService } from './modules/notifications/notification.service.js';
import { patientRoutes } from './modules/patients/patient.routes.js';
import { createPatientService } from './modules/patients/patient.service.js';
import { createPortalAccountService } from './modules/portal-accounts/portal-account.service.js';
import { roleRoutes } from './modules/roles/role.routes.js';
import { createRoleService } from './modules/roles/role.service.js';
import { settingRoutes } from './modules/settings/setting.routes.js';
import { quickReplyRoutes } from './modules/quick-replies/quick-reply.routes.js';
import { topicRoutes } from './modules/topics/topic.routes.js';
import { createTopicService } from './modules/topics/topic.service.js';
import { createSettingService } from './modules/settings/setting.service.js';
import { createReplyTimesService } from './modules/reply-times/reply-times.service.js';
import { replyTimesRoutes } from './modules/reply-times/reply-times.routes.js';
import { userRoutes } from './modules/users/user.routes.js';
import { createUserService } from './modules/users/user.service.js';
import { cookieNames, registerAuth } from './plugins/auth.js';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  registerErrorHandler,
} from './plugins/error-handler.js';
import { registerTextInput } from './plugins/text-input.js';
import { registerResponseCheck } from './plugins/response-check.js';
import { secondFactorRoutes } from './modules/staff-identity/second-factor.routes.js';
import { ssoRoutes } from './modules/sso/sso.routes.js';
import { searchRoutes } from './modules/search/search.routes.js';
import { proxyRoutes } from './modules/proxies/proxy.routes.js';
import { signUpRoutes } from './modules/sign-up/sign-up.routes.js';
import { registerSecurity } from './plugins/security.js';
import { registerWeb } from './plugins/web.js';

export interface AppDeps {
  config: Config;
  database: Database;
  clock?: Clock;
  signals?: AppSignals;
  /** Check every successful answer against its route's response schema (tests, e2e). */
  checkResponses?: boolean;
}

/** Every service of the product, built once per app on one database. */
export function createServices(ctx: ServiceContext, documentStore: DocumentStore) {
  const messaging = createMessagingService(ctx);
  return {
    auth: createAuthService(ctx),
    audit: createAuditService(ctx),
    bands: createChargeBandService(ctx),
    conversations: createConversationService(ctx),
    documents: createDocumentService(ctx, documentStore),
    fhir: createFhirService(ctx, documentStore),
    integrations: createIntegrationService(ctx),
    emailJobs: createEmailJobService(ctx),
    medical: createMedicalItemService(ctx),
    messaging,
    notifications: createNotificationService(ctx, messaging),
    patients: createPatientService(ctx),
    accounts: createPortalAccountService(ctx),
    roles: createRoleService(ctx),
    settings: createSettingService(ctx),
    replyTimes: createReplyTimesService(ctx),
    topics: createTopicService(ctx),
    users: createUserService(ctx),
  };
}

export type Services = ReturnType<typeof createServices>;

/** Fields never written to the log: message text, names, emails, passwords, tokens, cookies. */
const REDACT = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'body',
  '*.text',
  '*.password',
  '*.token',
  '*.email',
  '*.name',
];

/** Builds the HTTP app (no listen): plugins, error handler, every route. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance & { services: Services }> {
  const { config, database } = deps;
  const ctx: ServiceContext = {
    db: database.db,
    clock: deps.clock ?? systemClock,
    config,
    signals: deps.signals ?? createSignals(),
  };
  // Documents in the bucket of PORTAL_S3_BUCKET, else in the folder PORTAL_DOCUMENTS_DIR.
  const documentStore = config.s3
    ? await createS3Store(config.s3)
    : createFolderStore(config.documentsDir);
  const services = createServices(ctx, documentStore);

  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    // A number of proxies: the addresses of that many hops nearest to us are proxies (what
    // proxy-addr does for a number; Fastify's types leave the number form out).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    bodyLimit: 256 * 1024,
    requestIdHeader: false,
    // Shutting down is answered by our own hook below, in the one error shape.
    return503OnClosing: false,
    keepAliveTimeout: 10_000,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Each route's validators and serializer are built on its first call (lib/lazy-schema-
    // compilers.ts); with checkResponses (tests, e2e) all at start-up, so a broken schema fails
    // the build at once.
    schemaController: deps.checkResponses ? undefined : { compilersFactory: lazySchemaCompilers() },
    // Refusals made before any route runs (the router, Node's HTTP parser) in the one shape too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Node answers an HTTP/1.1 request without Host with an empty 400; security.ts refuses it
    // in the one shape instead.
    http: { requireHostHeader: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('services', services);

  registerErrorHandler(app);
  // A document store that fails answers 503 like any refusal; the log says why (before the
  // routes are registered, so the hook applies to theirs).
  app.addHook('onError', async (request, _reply, error) => {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof DocumentStoreError) request.log.error({ err: cause }, cause.message);
  });
  app.addHook('onReady', async () => {
    void documentStore.check().catch((error: unknown) => {
      app.log.error({ err: error }, `documents cannot be stored in ${documentStore.description}`);
    });
  });
  app.addHook('onClose', async () => documentStore.close());
  registerTextInput(app);
  if (deps.checkResponses) registerResponseCheck(app);

  // On SIGTERM: requests in flight finish and their connections close after the answer, so the
  // process exits at once instead of waiting for idle keep-alive connections; new requests are
  // refused in the one error shape.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new AppError(
      503,
      'shutting_down',
      'The server is restarting. Please try again in a moment.',
      undefined,
      { 'retry-after': '2' },
    );
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  // Only JSON bodies: a cross-site HTML form cannot send one without the browser asking first.
  app.removeContentTypeParser('text/plain');

  await app.register(cookie);
  await app.register(rateLimit, { global: false, store: rateLimitStore(database.db, ctx.clock) });
  const securityHeaders = await registerSecurity(app, config);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Patient Portal Online Messaging API',
        version: '1',
        description:
          'JSON API of the Patient Portal and the staff app. Browser apps use cookie sessions. Every error body is { "error": { "status", "code", "message", "field" } }.',
      },
      tags: [
        { name: 'Portal', description: 'The Patient Portal Inbox' },
        { name: 'Feed', description: "Staff: the patient's Feed" },
      ],
    },
  });

  const names = cookieNames(config.secureCookies);
  registerAuth(app, services.auth, names);

  await app.register(operationsRoutes, { database });

  await app.register(authRoutes, {
    auth: services.auth,
    cookies: names,
    secureCookies: config.secureCookies,
    signInRateLimit: config.signInRateLimitPerMinute,
  });
  const signInOptions = {
    ctx,
    auth: services.auth,
    cookies: names,
    secureCookies: config.secureCookies,
    signInRateLimit: config.signInRateLimitPerMinute,
  };
  await app.register(secondFactorRoutes, signInOptions);
  await app.register(ssoRoutes, signInOptions);
  await app.register(messagingRoutes, { messaging: services.messaging });
  await app.register(conversationRoutes, { conversations: services.conversations });
  await app.register(topicRoutes, { topics: services.topics });
  await app.register(quickReplyRoutes, { ctx });
  await app.register(searchRoutes, { ctx });
  await app.register(proxyRoutes, { ctx });
  await app.register(signUpRoutes, {
    ctx,
    signInRateLimit: config.signInRateLimitPerMinute,
  });
  await app.register(notificationRoutes, { notifications: services.notifications });
  await app.register(patientRoutes, {
    patients: services.patients,
    accounts: services.accounts,
    audit: services.audit,
  });
  await app.register(roleRoutes, { roles: services.roles });
  await app.register(userRoutes, { users: services.users });
  await app.register(chargeBandRoutes, { bands: services.bands });
  await app.register(settingRoutes, { settings: services.settings });
  await app.register(replyTimesRoutes, { replyTimes: services.replyTimes });
  await app.register(auditRoutes, { audit: services.audit });
  await app.register(reportRoutes, { ctx });
  await app.register(emailJobRoutes, { emailJobs: services.emailJobs });
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1 } });
  await app.register(medicalItemRoutes, { medical: services.medical });
  await app.register(documentRoutes, {
    documents: services.documents,
    documentsDir: config.documentsDir,
    maxUploadBytes: config.maxUploadBytes,
  });
  await app.register(integrationRoutes, { integrations: services.integrations });
  await app.register(fhirRoutes, { prefix: '/fhir/R4', fhir: services.fhir });
  const hub = createEventHub(ctx, database, app.log);
  app.decorate('events', hub);
  app.addHook('onReady', () => hub.start());
  // Open streams would hold the server open: end them first, clients reconnect elsewhere.
  app.addHook('preClose', () => hub.stop());
  await app.register(eventRoutes, { hub, securityHeaders });
  await registerWeb(app);

  return app as unknown as FastifyInstance & { services: Services };
}
