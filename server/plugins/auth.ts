import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, unauthenticated } from '../errors.js';
import type { PatientActor, StaffActor, StaffSessionStage } from '../modules/auth/actor.js';
import type { AuthService } from '../modules/auth/auth.service.js';

/**
 * Who may call a route: anyone, anyone with the patient's session read when there is one
 * (`public-or-patient`), a signed-in patient, a signed-in staff user, or a staff user
 * with the admin permission. Every route must say which (`config.auth`); a route without it
 * makes the app refuse to start.
 *
 * Rule 19: `staff`, `admin` and `stream` need a staff session that is fully signed in. A
 * half-signed-in one (password done, second factor not) reaches only `staff-pending` routes
 * (the second step itself, and sign-out), and, when it must set a factor up first,
 * `staff-set-up` routes (enrolment, which fully signed-in users use too).
 */
export type AuthRequirement =
  | 'public'
  | 'public-or-patient'
  | 'patient'
  | 'staff'
  | 'admin'
  | 'stream'
  | 'staff-pending'
  | 'staff-set-up';

/** The session stages each staff requirement accepts (rule 19). */
const STAGES_ALLOWED: Partial<Record<AuthRequirement, readonly StaffSessionStage[]>> = {
  'staff-pending': ['full', 'second_factor', 'set_up'],
  'staff-set-up': ['full', 'set_up'],
};

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyInstance {
    routeAuth: RouteAuth[];
  }
  interface FastifyRequest {
    staffActor: StaffActor | null;
    patientActor: PatientActor | null;
  }
}

/** One line of the route table: who may call it. The access tests walk this table. */
export interface RouteAuth {
  method: string;
  url: string;
  auth: AuthRequirement;
}

export interface CookieNames {
  staff: string;
  patient: string;
}

/** `__Host-` names need https; on plain http (the demo) the cookies go without the prefix. */
export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { staff: '__Host-staff_session', patient: '__Host-portal_session' }
    : { staff: 'staff_session', patient: 'portal_session' };
}

/** The staff user of a route declared `staff` or `admin`. */
export function staffOf(request: FastifyRequest): StaffActor {
  if (!request.staffActor) throw unauthenticated();
  return request.staffActor;
}

/** The patient of a route declared `patient`. */
export function patientOf(request: FastifyRequest): PatientActor {
  if (!request.patientActor) throw unauthenticated();
  return request.patientActor;
}

export function registerAuth(app: FastifyInstance, auth: AuthService, names: CookieNames): void {
  app.decorateRequest('staffActor', null);
  app.decorateRequest('patientActor', null);

  /**
   * `stream` routes serve staff and patients alike: `?as=staff` or `?as=patient` says which
   * session to use; without it, the staff session when there is one.
   */
  const streamKind = (request: FastifyRequest): 'staff' | 'patient' => {
    const as = (request.query as { as?: unknown } | undefined)?.as;
    if (as === 'staff' || as === 'patient') return as;
    return request.cookies[names.staff] ? 'staff' : 'patient';
  };

  const check = (requirement: AuthRequirement) =>
    async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      if (requirement === 'public') return;
      if (requirement === 'public-or-patient') {
        const token = request.cookies[names.patient];
        const actor = token
          ? await auth.resolveSession(token, 'patient', request.ip, { touch: false })
          : null;
        if (actor?.kind === 'patient') request.patientActor = actor;
        return;
      }
      const kind =
        requirement === 'stream'
          ? streamKind(request)
          : requirement === 'patient'
            ? 'patient'
            : 'staff';
      const token = request.cookies[kind === 'staff' ? names.staff : names.patient];
      // An event stream is not activity: it must not keep an idle session alive.
      const actor = token
        ? await auth.resolveSession(token, kind, request.ip, { touch: requirement !== 'stream' })
        : null;
      if (!actor) throw unauthenticated();
      if (actor.kind === 'staff') {
        if (!(STAGES_ALLOWED[requirement] ?? ['full']).includes(actor.stage)) {
          throw new AppError(
            401,
            'second_factor_required',
            actor.stage === 'set_up'
              ? 'Set up two-step verification to finish signing in.'
              : 'Finish signing in with your second step (passkey, authenticator app or recovery code).',
          );
        }
        request.staffActor = actor;
        if (requirement === 'admin' && !actor.isAdmin) {
          throw new AppError(403, 'admin_required', 'Only an administrator can do this.');
        }
      } else {
        request.patientActor = actor;
      }
    };

  const table: RouteAuth[] = [];
  app.decorate('routeAuth', table);
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') return;
    const requirement = route.config?.auth;
    if (!requirement) {
      throw new Error(`Route ${String(route.method)} ${route.url} does not declare config.auth`);
    }
    for (const method of [route.method].flat())
      table.push({ method: String(method), url: route.url, auth: requirement });
    const hooks = route.onRequest
      ? Array.isArray(route.onRequest)
        ? route.onRequest
        : [route.onRequest]
      : [];
    route.onRequest = [...hooks, check(requirement)];
    if (requirement === 'patient' && route.method !== 'GET' && !ACTING_FOR_EXEMPT.has(route.url)) {
      const handlers = route.preHandler
        ? Array.isArray(route.preHandler)
          ? route.preHandler
          : [route.preHandler]
        : [];
      route.preHandler = [actingForUnchanged, ...handlers];
    }
  });
}

/** Routes whose `patientId` is not the patient a write is made for (it chooses a new one). */
const ACTING_FOR_EXEMPT = new Set(['/api/v1/portal/acting-for', '/api/v1/portal/session']);

/**
 * Rule 18: a portal write may say which patient it was made for, as `patientId` in its body or
 * the `X-Acting-For` header. When the session acts for another patient now (a second tab
 * switched), it is refused, so nothing is ever filed under the wrong patient.
 */
async function actingForUnchanged(request: FastifyRequest): Promise<void> {
  const actor = request.patientActor;
  if (!actor) return;
  const body = request.body as { patientId?: unknown } | null | undefined;
  const header = request.headers['x-acting-for'];
  const claimed = [
    typeof body === 'object' && body !== null ? body.patientId : undefined,
    typeof header === 'string' ? header : undefined,
  ].filter((v) => v !== undefined);
  if (claimed.some((v) => v !== actor.patientId)) {
    throw new AppError(
      409,
      'acting_for_changed',
      'This page was open for another patient. Nothing was sent: reload to see whom you are acting for now.',
    );
  }
}
