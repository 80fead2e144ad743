/**
 * "Skip to main content": the first stop of the Tab key, shown only when focused, so keyboard
 * users need not tab through the navigation on every page.
 */
export function SkipLink({ target = 'main' }: { target?: string }) {
  return (
    <a
      href={`#${target}`}
      className="skip-link mantine-focus-auto"
      onClick={(e) => {
        e.preventDefault();
        document.getElementById(target)?.focus();
      }}
    >
      Skip to main content
    </a>
  );
}
