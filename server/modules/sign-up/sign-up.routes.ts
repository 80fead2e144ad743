import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ConfirmSignUp,
  SignUp,
  SignUpAccepted,
  SignUpConfirmed,
} from '../../../common/contract/sign-up.js';
import type { ServiceContext } from '../../lib/context.js';
import { withErrors } from '../../lib/schemas.js';
import { createSignUpService } from './sign-up.service.js';

export interface SignUpRouteOptions {
  ctx: ServiceContext;
  /** The sign-in limit per address and minute (rule 17: sign-ups are limited like sign-in). */
  signInRateLimit: number;
}

/** The one answer to every well-formed sign-up (rule 17), whatever is stored. */
export const SIGN_UP_ANSWER =
  'Check your email. If these details can be used to sign up at this clinic, an email with a link to confirm your address is on its way: the link works once, within 24 hours. If nothing arrives, check the invite code with your clinic.';

/** Self sign-up (SPEC rule 17): the form, and the emailed link that confirms it. */
export const signUpRoutes: FastifyPluginAsyncTypebox<SignUpRouteOptions> = async (app, opts) => {
  const signUps = createSignUpService(opts.ctx);
  // Counted in the database, per address, as sign-in is: the limit holds across web processes.
  const limited = {
    rateLimit: { max: opts.signInRateLimit, timeWindow: '1 minute', shared: true },
  };

  app.post(
    '/api/v1/portal/sign-up',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: ['Portal sign-in'],
        summary:
          'Sign up with an Online sign-up invite code (the answer is the same for every well-formed sign-up)',
        description:
          "A malformed sign-up (a missing field, a bad email or date of birth, a weak password) answers 422 with its `field` and changes nothing. Every other sign-up answers 202 with the same message after the same time, whatever the clinic, code, email and patient: a new patient on the code's band (or an existing one with the same email and date of birth and no portal account, linked without moving their band) gets an Invited account and an email with a single-use link (24 hours); an email that has a portal account already is told so by email only. Limited per address like sign-in, and per email.",
        body: SignUp,
        response: withErrors({ 202: SignUpAccepted }),
      },
    },
    async (request, reply) => {
      await signUps.signUp({ kind: 'anonymous', ip: request.ip }, request.body);
      return reply.status(202).send({ message: SIGN_UP_ANSWER });
    },
  );

  app.post(
    '/api/v1/portal/sign-up/confirm',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: ['Portal sign-in'],
        summary:
          'Confirm a sign-up with its emailed link and the password chosen: the portal account becomes Active',
        description:
          'The link works once, within 24 hours, and only while the account is still Invited; otherwise 400 `link_invalid`. The password chosen on the sign-up form is needed too (another answers 401 `invalid_credentials` and the link stays usable), so only the person who chose it and reads the email can activate the account.',
        body: ConfirmSignUp,
        response: withErrors({ 200: SignUpConfirmed }),
      },
    },
    async (request) => signUps.confirm({ kind: 'anonymous', ip: request.ip }, request.body),
  );
};
