// The height that makes an element end at the bottom of the window (the tree explorer fills the screen
// below the problem, so the tree, the path and the curation actions are all in view without scrolling).
import { useLayoutEffect, useState, type RefObject } from 'react';

/** `ready`: measured again when it changes (the element appears once there is something to show) */
export function useFillHeight(ref: RefObject<HTMLElement | null>, opts: { min?: number; bottom?: number; ready?: unknown } = {}): number {
  const min = opts.min ?? 420;
  const bottom = opts.bottom ?? 4;
  const [height, setHeight] = useState(min);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      // the top in the document (a scrolled page does not change the height), and what the page has
      // below the element (its containers' padding), so that the page ends at the window's bottom
      const r = el.getBoundingClientRect();
      const top = r.top + window.scrollY;
      let below = parseFloat(getComputedStyle(el).marginBottom) || 0;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const cs = getComputedStyle(p);
        below += (parseFloat(cs.paddingBottom) || 0) + (parseFloat(cs.borderBottomWidth) || 0) + (parseFloat(cs.marginBottom) || 0);
      }
      const next = Math.max(min, Math.floor(window.innerHeight - top - below - bottom));
      setHeight((h) => (h === next ? h : next));
    };
    measure();
    window.addEventListener('resize', measure);
    // what sits above (the problem's text, a banner) can change height
    const ro = new ResizeObserver(measure);
    if (el.parentElement) ro.observe(el.parentElement);
    return () => {
      window.removeEventListener('resize', measure);
      ro.disconnect();
    };
  }, [ref, min, bottom, opts.ready]);
  return height;
}
