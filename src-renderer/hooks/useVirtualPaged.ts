// A virtualized list over paged rows (usePagedRows): the rows in sight, and the overscan, fetched as it
// scrolls; the heights above and below them, for the spacer rows of a table.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, type RefObject } from 'react';
import type { PagedRows } from './usePagedRows';

export function useVirtualPaged<T>(rows: PagedRows<T>, scroller: RefObject<HTMLDivElement | null>, rowHeight: number, overscan: number) {
  const count = rows.total ?? 0;
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (count) rows.ensure(first, last);
  });
  const padTop = items[0]?.start ?? 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  return { count, virtualizer, items, first, last, padTop, padBottom };
}
