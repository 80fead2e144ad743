import { Alert, createTheme, Modal, type CSSVariablesResolver } from '@mantine/core';

/** One calm theme for both apps; every text colour meets WCAG AA contrast (checked with axe). */
export const theme = createTheme({
  primaryColor: 'teal',
  primaryShade: 9,
  autoContrast: true,
  defaultRadius: 'md',
  // People who ask their system for less motion get none (dialogs and panels open at once).
  respectReducedMotion: true,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '650' },
  components: {
    // Close buttons are icons: give them a name screen readers announce.
    Modal: Modal.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Close' } },
      styles: { title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } },
    }),
    Alert: Alert.extend({ defaultProps: { closeButtonLabel: 'Dismiss' } }),
  },
});

/** A hex colour mixed with black: `darken('#e67700', 0.4)`. */
function darken(hex: string, amount: number): string {
  const n = parseInt(hex.slice(1), 16);
  const channel = (shift: number) =>
    Math.round(((n >> shift) & 255) * (1 - amount))
      .toString(16)
      .padStart(2, '0');
  return `#${channel(16)}${channel(8)}${channel(0)}`;
}

/**
 * Darker "dimmed" text, light-variant text and hover colours than Mantine's defaults, so that
 * badges, links and buttons of every colour keep AA contrast.
 */
export const cssVariablesResolver: CSSVariablesResolver = (t) => {
  const names = Object.keys(t.colors);
  const each = (suffix: string, value: (shades: readonly string[]) => string) =>
    Object.fromEntries(
      names.map((name) => [`--mantine-color-${name}-${suffix}`, value(t.colors[name]!)]),
    );
  return {
    variables: {},
    light: {
      '--mantine-color-dimmed': t.colors.gray[7]!,
      // Field errors: Mantine's red on white is about 3.3:1; AA needs 4.5:1.
      '--mantine-color-error': darken(t.colors.red[9]!, 0.2),
      ...each('light-color', (c) => darken(c[9]!, 0.4)),
      ...each('text', (c) => darken(c[9]!, 0.3)),
      ...each('light', (c) => c[0]!),
      ...each('light-hover', (c) => c[1]!),
      ...each('filled-hover', (c) => darken(c[9]!, 0.25)),
    },
    dark: {},
  };
};
