import { SetPasswordPage as Page } from '../../ui/set-password-page';
import { setPassword } from '../features/session/api';

export function SetPasswordPage() {
  return <Page appName="Staff" setPassword={setPassword} />;
}
