// The rows a virtualized table (hooks/useVirtualPaged.ts) draws besides its data rows.

/** The height of the rows out of sight above or below, so the scroll bar is true; nothing when 0. */
export function SpacerRow({ height }: { height: number }) {
  return height > 0 ? <tr className="spacer" style={{ height }} aria-hidden="true" /> : null;
}

/** A row in sight whose window of rows has not come in yet. */
export function LoadingRow({ index, height, columns }: { index: number; height: number; columns: number }) {
  return (
    <tr style={{ height }} className="loading-row" aria-rowindex={index + 1}>
      <td colSpan={columns} className="muted">
        …
      </td>
    </tr>
  );
}
