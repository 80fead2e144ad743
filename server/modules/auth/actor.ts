import type { EligibilityFacts } from '../portal-access/portal-access.policy.js';

/** A signed-in staff user, as loaded from their session on every request. */
export interface StaffActor {
  kind: 'staff';
  chamberId: string;
  userId: string;
  name: string;
  email: string;
  /** The roles the user holds now; read fresh on every request. */
  roleIds: string[];
  isAdmin: boolean;
  sessionId: string;
  ip: string | null;
  /**
   * Rule 19: `full`, or half signed in (`second_factor` due, or one to `set_up` first). Only
   * routes declared `staff-pending` or `staff-set-up` see a half-signed-in actor.
   */
  stage: StaffSessionStage;
}

/** How far a staff session is signed in (rule 19). */
export type StaffSessionStage = 'full' | 'second_factor' | 'set_up';

/**
 * A signed-in portal account, acting for a patient: its own record, or one it is a proxy for
 * (rule 18). `patientId` and `name` are the patient acted for; everything the portal reads or
 * writes is that patient's.
 */
export interface PatientActor {
  kind: 'patient';
  chamberId: string;
  patientId: string;
  name: string;
  /** The signed-in portal account. */
  accountId: string;
  /** Present when the account acts for someone else's record: who is acting, and as what. */
  proxy?: { name: string; relationship: string };
  sessionId: string;
  ip: string | null;
  /**
   * SPEC rule 1's facts, read with the session in the same statement at the start of the
   * request; absent when the actor was made another way (then they are read when needed).
   */
  access?: EligibilityFacts;
}

export type Actor = StaffActor | PatientActor;

/** Someone not signed in (sign-in attempts, password links); carries only the address. */
export interface AnonymousActor {
  kind: 'anonymous';
  ip: string | null;
}
