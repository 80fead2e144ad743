import { ForgottenPasswordPage as Page } from '../../ui/forgotten-password-page';
import { rememberedClinic, requestReset } from '../features/session/api';

export function ForgottenPasswordPage() {
  return <Page appName="Staff" defaultChamber={rememberedClinic()} requestReset={requestReset} />;
}
