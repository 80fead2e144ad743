import type { OutgoingEmail } from './mailer.js';

/**
 * The "something new" email of rule 5. It carries no clinical content: no message text, no
 * document, no author, not even the patient's name; only where to look.
 */
export function sharedItemsEmail(
  to: string,
  chamberName: string,
  portalUrl: string,
): OutgoingEmail {
  return {
    to,
    subject: `Something new in your Patient Portal – ${chamberName}`,
    text: [
      'Hello,',
      '',
      `There is something new for you in the Patient Portal of ${chamberName}.`,
      'For your privacy, this email does not say what it is. Please sign in to see it:',
      '',
      portalUrl,
      '',
      'Please do not reply to this email. The Patient Portal is not for emergencies.',
    ].join('\n'),
  };
}

/** Invitation or password-reset link (rule 8). */
export function accountLinkEmail(
  to: string,
  chamberName: string,
  purpose: 'invitation' | 'reset' | 'sign_up',
  link: string,
  forStaff: boolean,
  /** The clinic code, for a sign-in page that asks for it (on another device, say). */
  clinicCode?: string,
): OutgoingEmail {
  const app = forStaff ? 'staff app' : 'Patient Portal';
  const codeLine = clinicCode
    ? ['', `If the sign-in page asks for your clinic code, it is: ${clinicCode}`]
    : [];
  if (purpose === 'sign_up') {
    return {
      to,
      subject: `Confirm your email to finish signing up – ${chamberName}`,
      text: [
        'Hello,',
        '',
        `You signed up for the ${app} of ${chamberName}. Confirm your email address here, with the password you chose, to start using it (the link works once, for 24 hours):`,
        '',
        link,
        '',
        'If you did not sign up, you can ignore this email: nothing happens without the link and the password.',
      ].join('\n'),
    };
  }
  if (purpose === 'invitation') {
    return {
      to,
      subject: `Your invitation to the ${app} – ${chamberName}`,
      text: [
        'Hello,',
        '',
        `${chamberName} has invited you to the ${app}. Choose your password here (the link works once, for 24 hours):`,
        '',
        link,
        ...codeLine,
        '',
        'If you were not expecting this email, you can ignore it.',
      ].join('\n'),
    };
  }
  return {
    to,
    subject: `Set a new password – ${chamberName}`,
    text: [
      'Hello,',
      '',
      `Someone asked to set a new password for your ${app} account at ${chamberName}. Use this link within 15 minutes (it works once):`,
      '',
      link,
      ...codeLine,
      '',
      'If this was not you, ignore this email: your password stays as it is.',
    ].join('\n'),
  };
}

/**
 * Rule 19: an administrator reset the user's two-step verification. Says who and what happens
 * next, so a reset the user did not ask for is noticed.
 */
export function twoStepResetEmail(
  to: string,
  chamberName: string,
  adminName: string,
  signInUrl: string,
): OutgoingEmail {
  return {
    to,
    subject: `Your two-step verification was reset – ${chamberName}`,
    text: [
      'Hello,',
      '',
      `${adminName}, an administrator at ${chamberName}, has reset the two-step verification of your staff account: your passkeys, authenticator app and recovery codes no longer work, and you were signed out everywhere.`,
      '',
      'Sign in again here; if your clinic requires two-step verification you will be asked to set it up:',
      '',
      signInUrl,
      '',
      'If you did not ask for this, tell your administrator at once.',
    ].join('\n'),
  };
}

/**
 * Rule 17: someone signed up with an email that has a portal account already. The holder is
 * told so by email only (the sign-up's answer never says it); nothing about the account changed.
 */
export function signUpAttemptEmail(
  to: string,
  chamberName: string,
  signInUrl: string,
  resetUrl: string,
): OutgoingEmail {
  return {
    to,
    subject: `Someone tried to sign up with your email – ${chamberName}`,
    text: [
      'Hello,',
      '',
      `Someone tried to sign up for the Patient Portal of ${chamberName} with this email address. You have an account there already, so nothing was changed and no new account was made.`,
      '',
      'If it was you, sign in here:',
      '',
      signInUrl,
      '',
      'Forgotten your password, or never confirmed your email? Ask for a new link here:',
      '',
      resetUrl,
      '',
      'If it was not you, you can ignore this email: your account and password stay as they are. If you cannot sign in, please contact the clinic.',
    ].join('\n'),
  };
}
