// The height that makes an element end at the bottom of the window (the tree explorer fills the screen
// below the problem, so the tree, the path and the curation actions are all in view without scrolling).
import { useLayoutEffect, useState, type RefObject } from 'react';

export function useFillHeight(ref: RefObject<HTMLElement | null>, opts: { min?: number; bottom?: number } = {}): number {
  const min = opts.min ?? 420;
  const bottom = opts.bottom ?? 12;
  const [height, setHeight] = useState(min);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      // the top in the document, so a scrolled page does not change the height
      const top = el.getBoundingClientRect().top + window.scrollY;
      const next = Math.max(min, Math.floor(window.innerHeight - top - bottom));
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
  }, [ref, min, bottom]);
  return height;
}
