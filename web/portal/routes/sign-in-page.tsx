import { useQueryClient } from '@tanstack/react-query';
import { resetCache } from '../../lib/query';
import { SignInPage as Page } from '../../ui/sign-in-page';
import { rememberClinic, rememberedClinic, signIn } from '../features/session/api';

/** Sign-in with clinic code, email and password. */
export function SignInPage() {
  const client = useQueryClient();
  return (
    <Page
      title="Patient Portal"
      subtitle="Sign in to write to your clinic and read its replies."
      defaultChamber={rememberedClinic()}
      signIn={signIn}
      onSignedIn={(session, values) => {
        rememberClinic(values.chamber);
        resetCache(client, session);
      }}
    />
  );
}
