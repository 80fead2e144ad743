import { Button, Checkbox, Popover, Stack, Text } from '@mantine/core';
import { useDesktopAlertSettings } from './desktop-alerts';

/**
 * "Desktop notifications": a button that opens the two choices of this browser: desktop
 * notifications (asking the browser's permission) and patient names in them.
 */
export function DesktopAlertSettings({ clinicName }: { clinicName: string }) {
  const s = useDesktopAlertSettings();
  return (
    <Popover position="bottom-end" width={320} trapFocus withArrow shadow="md">
      <Popover.Target>
        <Button size="xs" variant="default" data-testid="desktop-notifications-button">
          Desktop notifications: {s.enabled ? 'on' : 'off'}
        </Button>
      </Popover.Target>
      <Popover.Dropdown aria-label="Desktop notifications">
        <Stack gap="sm">
          <Checkbox
            label="Desktop notifications"
            description={`When this tab is in the background, your computer says “New message in ${clinicName}”: no patient name and no text.`}
            checked={s.enabled}
            disabled={s.permission === 'unsupported' || s.permission === 'denied'}
            onChange={(e) => void (e.currentTarget.checked ? s.enable() : s.disable())}
          />
          <Checkbox
            label="Show patient names in desktop notifications"
            description="Only where nobody else can see your screen."
            checked={s.names}
            disabled={!s.enabled}
            onChange={(e) => s.setNames(e.currentTarget.checked)}
          />
          {s.permission === 'denied' && (
            <Text size="xs" c="red.9">
              This browser blocks notifications from this site: allow them in its site settings,
              then come back here.
            </Text>
          )}
          {s.permission === 'unsupported' && (
            <Text size="xs" c="dimmed">
              This browser cannot show desktop notifications. The tab title still shows the unread
              count.
            </Text>
          )}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
