/**
 * A refusal of the FHIR API, answered as an `OperationOutcome` with the HTTP status it names.
 * `issue` is the FHIR IssueType code; `code` is this product's stable code, also shown in the
 * outcome (`issue[0].details.coding`) so clients can tell refusals apart.
 */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issue:
      | 'invalid'
      | 'value'
      | 'not-supported'
      | 'not-found'
      | 'login'
      | 'expired'
      | 'forbidden'
      | 'throttled'
      | 'exception'
      | 'transient',
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The code system of this product's refusal codes in OperationOutcome details. */
export const ERROR_CODE_SYSTEM = 'urn:patient-portal-messaging:fhir-error';

export const fhirNotFound = (what: string): FhirError =>
  new FhirError(404, 'not-found', 'not_found', `${what} was not found.`);

export const badParameter = (name: string, message: string): FhirError =>
  new FhirError(400, 'value', 'invalid_parameter', `${name}: ${message}`);
