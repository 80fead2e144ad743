import { useEffect, useRef, type RefObject } from 'react';
import { useLocation, useNavigationType } from 'react-router';

/** How long a page that is still loading may take to show its heading. */
const WAIT_FOR_HEADING_MS = 5000;

/**
 * When the person moves to another page (not on the first page shown, nor its redirects), the
 * keyboard focus goes to the new page's heading (its first h1 or h2 in `page`), so a screen
 * reader says where the person is and Tab starts from the new page, as after a full page load.
 * A page that put the cursor somewhere itself (a form's first field) keeps it; a page still
 * loading gets its heading focused when it shows, unless the person has moved the focus meanwhile.
 */
export function useFocusHeadingOnNavigate(page: RefObject<HTMLElement | null>): void {
  const { pathname } = useLocation();
  const how = useNavigationType();
  const shown = useRef(pathname);
  const moved = useRef(false);
  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    // A redirect while the first page loads (e.g. home to Inbox) is still the first load.
    if (how === 'REPLACE' && !moved.current) return;
    moved.current = true;
    const container = page.current;
    if (!container) return;
    const before = document.activeElement;
    const settled = (): boolean => {
      const active = document.activeElement;
      // The page took the focus itself, or the person moved it while the page loaded.
      if (active && active !== document.body && container.contains(active)) return true;
      if (active !== before && active !== document.body) return true;
      const heading = container.querySelector<HTMLElement>('h1, h2');
      if (!heading) return false;
      if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
      // Focused for reading, not for typing: no ring jumping onto the page's title.
      heading.style.outline = 'none';
      heading.focus();
      return true;
    };
    if (settled()) return;
    const watch = new MutationObserver(() => {
      if (settled()) stop();
    });
    const timer = window.setTimeout(() => stop(), WAIT_FOR_HEADING_MS);
    function stop() {
      watch.disconnect();
      window.clearTimeout(timer);
    }
    watch.observe(container, { childList: true, subtree: true });
    return stop;
  }, [pathname, how, page]);
}
