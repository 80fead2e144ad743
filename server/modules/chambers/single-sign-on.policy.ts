/** The chamber columns that say how its staff sign in (rule 19). */
interface SignInColumns {
  ssoIssuer: string | null;
  ssoClientId: string | null;
  ssoClientSecret: string | null;
  ssoAllowPasswordSignIn: boolean;
}

/** Single sign-on is configured for the chamber: issuer, client id and client secret. */
export function ssoConfigured(chamber: SignInColumns): boolean {
  return (
    chamber.ssoIssuer !== null && chamber.ssoClientId !== null && chamber.ssoClientSecret !== null
  );
}

/**
 * Whether staff may sign in with a password: always, unless single sign-on is configured with
 * **Allow password sign-in** off. Administrators keep their password (and second factor) even
 * then, so a broken provider cannot lock the clinic out of its own settings.
 */
export function passwordSignInAllowed(chamber: SignInColumns, isAdmin: boolean): boolean {
  return isAdmin || !ssoConfigured(chamber) || chamber.ssoAllowPasswordSignIn;
}
