/**
 * The stable `code` of every refusal the JSON API answers, in `{ error: { status, code,
 * message, field? } }`. Clients branch on the code; the message is for people and may change.
 * Plain values only: the web bundles import this file at run time. (The FHIR API answers
 * OperationOutcomes and the token endpoint RFC 6749 errors: see common/contract/fhir.ts and
 * integrations.ts.) server/errors.test.ts fails when the server answers a code not listed here.
 */
export const ERROR_CODES = [
  // Any request
  'bad_request', // 400: the request cannot be read (a header, the address, an upload's parts)
  'malformed_json', // 400: the body is not JSON, or is empty where JSON was expected
  'unsupported_media_type', // 415: the body is not sent as the content type the route takes
  'payload_too_large', // 413: the JSON body is over the size limit
  'body_not_allowed', // 400: a body sent to a route that takes none (`{}` is let through)
  'uri_too_long', // 414: a part of the address is over its length limit
  'headers_too_large', // 431: the request's address and headers are over Node's size limit
  'request_timeout', // 408: the request did not arrive in time
  'expectation_failed', // 417: an Expect header other than 100-continue
  'validation_failed', // 422: a field breaks the request's schema or rules; `field` names it
  'invalid_value', // 422: the database cannot store a value (encoding, range)
  'not_found', // 404: missing, or outside the caller's view: the two look the same
  'unauthenticated', // 401: no valid session
  'admin_required', // 403: the route needs the admin permission
  'cross_origin_refused', // 403: a state-changing request from another site
  'too_many_requests', // 429: rate limit reached; Retry-After says when to try again
  'database_unavailable', // 503: the database cannot be reached; retry as is
  'storage_unavailable', // 503: the document store (a bucket) cannot be reached or refused the request; retry as is
  'shutting_down', // 503: this process is stopping; retry (another process answers)
  'internal_error', // 500: anything unexpected (logged with the request id)
  'response_contract_broken', // 500, tests and e2e only: an answer outside its route's schema

  // SPEC rule 1: may this patient use the portal and message (403, in the order checked)
  'portal_disabled', // the Patient Portal is off for the patient (or the clinic)
  'account_not_active', // the portal account (or staff user) is not active
  'band_not_online', // the patient's charge band has no online access (409 on Online Settings)
  'messaging_not_allowed', // the band does not allow online messaging

  // Sign-in, passwords and accounts
  'invalid_credentials', // 401: wrong email or password
  'account_locked', // 403: locked for a few minutes after failed sign-ins
  'account_blocked', // 403: blocked after too many failed sign-ins until a password reset
  'link_invalid', // 400: an invitation or reset link expired or was used
  'password_too_short', // 422: outside the password length limits
  'password_too_weak', // 422: needs a letter and a digit, and must not be easy to guess (zxcvbn score below 3)
  'password_breached', // 422: found in lists of leaked passwords
  'no_portal_account', // 409: the patient has no portal account (invite first)
  'account_exists', // 409: the patient has a portal account already
  'account_disabled', // 409: the portal account is disabled
  'account_not_blocked', // 409: unblocking an account that is not blocked
  'account_not_disabled', // 409: enabling an account that is not disabled
  'patient_email_missing', // 422: inviting a patient without an email address
  'email_required', // 409: a patient with a portal account needs an email
  'email_in_use', // 409: another patient's portal account uses the email
  'email_taken', // 409: another staff user has the email
  'cannot_lock_out_self', // 409: an admin removing their own admin permission or activity

  // Staff identity (SPEC rule 19)
  'second_factor_required', // 401: half signed in; only the second step (or set-up) answers
  'invalid_code', // 401 at the second step (422 when confirming a set-up): a wrong code
  'passkey_refused', // 401: the passkey's answer was not accepted
  'passkeys_unavailable', // 409: the product is reached by an IP address (no WebAuthn)
  'password_sign_in_off', // 403: the clinic signs staff in through single sign-on only
  'no_second_factor_due', // 409: the second step answered by a session that needs none
  'no_passkey', // 409: the user has no passkey for a passkey second step
  'method_not_set_up', // 422: a second step by a method the user has not set up
  'challenge_expired', // 422: a passkey or authenticator set-up that expired or was used
  'totp_exists', // 409: an authenticator app is set up already
  'passkey_exists', // 409: this passkey is added already
  'last_factor_required', // 409: removing the last factor while two-step verification is required
  'no_second_factor', // 409: recovery codes asked for with no passkey or authenticator app
  'sso_issuer_unreachable', // 422: the single sign-on issuer's discovery could not be read

  // Patient access (SPEC rules 17 and 18)
  'nobody_to_act_for', // 403: a portal account with no record of its own and no proxy in force
  'acting_for_changed', // 409: a portal write made for another patient than the session acts for now
  'proxy_not_allowed', // 422: a proxy for the patient themselves, or for an account of another kind
  'proxy_exists', // 409: this account is already a proxy of the patient

  // Messages (SPEC rules 3 and 7)
  'text_empty', // 422: nothing that shows (empty, whitespace or invisible characters)
  'text_too_long', // 422: over MESSAGE_MAX_LENGTH code points
  'text_invalid', // 422: characters that cannot be stored
  'invalid_text', // 422: text that is not valid Unicode (bytes not UTF-8, lone surrogates)
  'audience_empty', // 422: a staff message shared with nobody
  'attachment_not_found', // 422: an attached document is not the patient's upload
  'attachments_not_allowed', // 403: the clinic does not accept patient attachments
  'idempotency_key_reused', // 422: the same Idempotency-Key with a different request
  'request_in_progress', // 409: the same Idempotency-Key is still being processed
  'conversation_changed', // 409: a newer message or another assignee than its writer saw (rule 11)
  'assignee_cannot_see', // 422: the chosen assignee cannot see the conversation
  'role_not_held', // 422: the team inbox filtered by a role the viewer does not hold
  'topic_not_found', // 422: a topic that is not offered (unknown, inactive, deleted)
  'topic_name_taken', // 409: a topic of that name exists
  'subject_too_long', // 422: a subject over 120 characters
  'subject_invalid', // 422: control characters in a subject
  'quick_reply_name_taken', // 409: a quick reply of that name exists (rule 15)
  'variable_unknown', // 422: a quick reply's text holds something that is not a variable (rule 15)

  // Documents and Medical Data
  'file_required', // 422: no part named `file`
  'file_empty', // 422: the file has no bytes
  'file_too_large', // 413: over the upload size limit
  'unsupported_file_type', // 415: not a PDF, PNG, JPEG, WebP or HEIC by its content
  'content_required', // 422: a result or letter with neither text nor a document
  'document_not_found', // 422: the document named is not the patient's

  // Administration
  'role_not_found', // 422: a role named in the request does not exist
  'role_name_taken', // 409: another role has the name
  'role_built_in', // 409: the built-in role cannot be renamed or deleted
  'charge_band_not_found', // 422: the charge band named does not exist
  'charge_band_name_taken', // 409: another charge band has the name
  'invite_code_taken', // 409: another charge band uses the sign-up invite code
  'chamber_key_taken', // 409: another chamber has the key
  'integration_name_taken', // 409: a live integration client has the name
  'client_id_taken', // 409: no free client id for the name; choose another
  'scopes_empty', // 422: an integration client needs a scope
  'scope_unknown', // 422: a scope this server does not grant
  'scope_needs_communication_read', // 422: internal notes need system/Communication.read
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether a string is one of the API's error codes (for a client reading an error body). */
export const isErrorCode = (code: string): code is ErrorCode =>
  (ERROR_CODES as readonly string[]).includes(code);
