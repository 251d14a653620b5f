// Where a review sits in a sparse cache of list pages, so that a reload keeps
// the selection on the review the moderator is looking at, not on its old row
// number (decided reviews leave the tab and the rows below move up).

/** Index of the row with `id` in `pages` (page index -> rows), if loaded. */
export function indexOfId(pages: Record<number, { id: string }[]>, id: string, pageSize: number): number | undefined {
  for (const [key, rows] of Object.entries(pages)) {
    const i = rows.findIndex((r) => r.id === id);
    if (i >= 0) return Number(key) * pageSize + i;
  }
  return undefined;
}
