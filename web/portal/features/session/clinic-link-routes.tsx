import { useEffect, useMemo } from 'react';
import { Navigate, Outlet, useLocation, useParams } from 'react-router';
import { ForgottenPasswordPage } from '../../../ui/forgotten-password-page';
import { ErrorState, Loading } from '../../../ui/states';
import { LABELS } from '../../../../common/labels';
import { ResetTrouble } from '../clinic/components';
import { portalSession } from './api';
import { clinicKeyOf, rememberClinicLink } from './clinic-link';
import { ClinicLinkSignIn, OtherClinicSession } from './portal-sign-in-page';

const useClinicKey = () => clinicKeyOf(useParams().clinic);

/**
 * Every page under `/c/<clinic>/`: the clinic is remembered at once, so that signing out, or a
 * signed-out visit to any portal page, comes back to this clinic's sign-in (an unknown code is
 * forgotten again by the sign-in that finds it unknown).
 */
export function ClinicLinkFrame() {
  const key = useClinicKey();
  useEffect(() => {
    if (key) rememberClinicLink(key);
  }, [key]);
  return <Outlet />;
}

/** `/c/<clinic>/`: that clinic's sign-in; when signed in to it already, the portal itself. */
export function ClinicLinkHome() {
  const key = useClinicKey();
  const session = portalSession.useSession();
  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  const signedIn = session.data;
  if (signedIn && signedIn.chamber.key === key) return <Navigate to="/" replace />;
  return (
    <ClinicLinkSignIn clinicKey={key}>
      {signedIn && <OtherClinicSession name={signedIn.chamber.name} />}
    </ClinicLinkSignIn>
  );
}

/** `/c/<clinic>/forgotten-password`: asks for a reset link, the clinic code filled in. */
export function ClinicLinkForgottenPassword() {
  const key = useClinicKey();
  const api = useMemo(() => ({ ...portalSession, rememberedClinic: () => key }), [key]);
  return (
    <ForgottenPasswordPage
      appName={LABELS.patientPortal}
      api={api}
      help={(chamber) => <ResetTrouble chamber={chamber} />}
    />
  );
}

/** Any other page under a clinic link is the portal's page of that name (e.g. `/c/demo/inbox`). */
export function ClinicLinkRest() {
  const rest = useParams()['*'] ?? '';
  const { search, hash } = useLocation();
  return <Navigate to={{ pathname: `/${rest}`, search, hash }} replace />;
}
