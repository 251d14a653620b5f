// The review queue as the UI holds it: a filter, a sparse cache of pages fetched
// on demand (the list is virtualised, so 100,000 items never cross IPC at once),
// the selection, and the decisions made from it.
import { SvelteSet } from 'svelte/reactivity';
import { indexOfId } from './anchor';
import { api, toIpcError } from './api';
import type { DecideRequest } from './bindings/DecideRequest';
import type { IpcError } from './bindings/IpcError';
import type { ReviewListQuery } from './bindings/ReviewListQuery';
import type { RejectionReason } from './bindings/RejectionReason';
import type { ReviewAction } from './bindings/ReviewAction';
import type { ReviewRow } from './bindings/ReviewRow';
import type { StateCount } from './bindings/StateCount';
import { t, tn } from './i18n.svelte';

export const PAGE_SIZE = 100;

export type Filter = Omit<ReviewListQuery, 'offset' | 'limit'>;

export class Queue {
  filter = $state<Filter>({ state: 'pending' });
  total = $state(0);
  /** Page index -> rows; pages load lazily as the list scrolls. */
  pages = $state<Record<number, ReviewRow[]>>({});
  selected = $state(0);
  counts = $state<StateCount[]>([]);
  error = $state<IpcError | null>(null);
  notice = $state<string | null>(null);
  loaded = $state(false);
  /** Ids marked for a bulk action. */
  marked = new SvelteSet<string>();
  #generation = 0;
  // Bookkeeping only; nothing renders from it, so it need not be reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #inflight = new Set<number>();

  row(index: number): ReviewRow | undefined {
    return this.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE];
  }

  get current(): ReviewRow | undefined {
    return this.row(this.selected);
  }

  count(state: string | undefined): number {
    if (state === undefined) return this.counts.reduce((n, c) => n + c.count, 0);
    return this.counts.find((c) => c.state === state)?.count ?? 0;
  }

  /** Starts over with `filter`: clears the cache and loads the first page. */
  async reset(filter: Filter) {
    this.filter = filter;
    this.#generation += 1;
    this.#inflight.clear();
    this.pages = {};
    this.selected = 0;
    this.marked.clear();
    await Promise.all([this.ensure(0), this.refreshCounts()]);
  }

  /** Reloads what is shown after the data changed underneath (e.g. a sync),
   * keeping the filter and the selected review: a key pressed after the
   * reload acts on the review the moderator was looking at, even when rows
   * above it left the tab. A review that left the tab itself gives its row
   * to the next one. The old rows stay until the new ones are in, so the
   * selected review (and an open dialog about it) never blinks out. */
  async refresh() {
    const id = this.current?.id;
    const at = this.selected;
    this.#generation += 1;
    const generation = this.#generation;
    this.#inflight.clear();
    const fetchPage = (page: number) =>
      api.listReviews({ ...this.filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
    const page = Math.floor(at / PAGE_SIZE);
    try {
      const [result] = await Promise.all([fetchPage(page), this.refreshCounts()]);
      if (generation !== this.#generation) return; // the filter changed meanwhile
      const fresh: Record<number, ReviewRow[]> = { [page]: result.items };
      let found = id === undefined ? undefined : indexOfId(fresh, id, PAGE_SIZE);
      if (id !== undefined && found === undefined && page > 0) {
        // it may have moved up onto the page before
        fresh[page - 1] = (await fetchPage(page - 1)).items;
        if (generation !== this.#generation) return;
        found = indexOfId(fresh, id, PAGE_SIZE);
      }
      this.pages = fresh;
      this.total = result.total;
      this.error = null;
      this.loaded = true;
      // unless the moderator moved on during the reload
      if (this.selected === at) this.selected = found ?? Math.max(0, Math.min(at, this.total - 1));
    } catch (e) {
      this.error = toIpcError(e);
    }
  }

  async refreshCounts() {
    try {
      this.counts = await api.queueCounts();
    } catch (e) {
      this.error = toIpcError(e);
    }
  }

  /** Makes sure the page holding `index` is loaded (or loading). */
  async ensure(index: number) {
    const page = Math.floor(index / PAGE_SIZE);
    if (this.pages[page] || this.#inflight.has(page)) return;
    const generation = this.#generation;
    this.#inflight.add(page);
    try {
      const result = await api.listReviews({ ...this.filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      if (generation !== this.#generation) return; // the filter changed meanwhile
      this.pages[page] = result.items;
      this.total = result.total;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      this.error = toIpcError(e);
    } finally {
      this.#inflight.delete(page);
    }
  }

  /** Moves the selection; resolves once the newly selected row is loaded. */
  move(delta: number): Promise<void> {
    if (this.total === 0) return Promise.resolve();
    this.selected = Math.max(0, Math.min(this.total - 1, this.selected + delta));
    return this.ensure(this.selected);
  }

  #replace(updated: ReviewRow) {
    for (const [key, rows] of Object.entries(this.pages)) {
      const i = rows.findIndex((r) => r.id === updated.id);
      if (i >= 0) this.pages[Number(key)]![i] = updated;
    }
  }

  /** Records a decision (durable before this resolves) and shows it in place. */
  async decide(request: Omit<DecideRequest, 'review_id'>, advance = true): Promise<boolean> {
    const row = this.current;
    if (!row) return false;
    try {
      const updated = await api.decide({ ...request, review_id: row.id });
      this.#replace(updated);
      this.notice = t('notice.saved', { action: t(`notice.action.${request.action.action}`) });
      this.error = null;
      if (advance) void this.move(1);
      void this.refreshCounts();
      return true;
    } catch (e) {
      this.error = toIpcError(e);
      return false;
    }
  }

  toggleMark() {
    const row = this.current;
    if (!row) return;
    if (this.marked.has(row.id)) this.marked.delete(row.id);
    else this.marked.add(row.id);
    void this.move(1);
  }

  /** Marked rows that are loaded (all of them unless the cache was reset). */
  markedRows(): ReviewRow[] {
    const rows: ReviewRow[] = [];
    for (const page of Object.values(this.pages)) for (const r of page) if (this.marked.has(r.id)) rows.push(r);
    return rows;
  }

  /** Reasons every marked review's shop allows, in the first one's order. */
  commonReasons(): RejectionReason[] {
    const rows = this.markedRows();
    const first = rows[0];
    if (!first) return [];
    return first.allowed_reasons.filter((r) => rows.every((x) => x.allowed_reasons.includes(r)));
  }

  /** Applies one action to every marked review in one durable transaction. */
  async decideMarked(action: ReviewAction) {
    const ids = [...this.marked];
    if (ids.length === 0) return;
    try {
      const result = await api.decideMany({ review_ids: ids, action });
      for (const row of result.updated) this.#replace(row);
      this.marked.clear();
      for (const f of result.failed) this.marked.add(f.review_id);
      this.notice =
        tn('notice.savedMany', result.updated.length) +
        (result.failed.length > 0
          ? `; ${t('notice.notPossible', { count: result.failed.length, message: result.failed[0]?.error.message ?? '' })}`
          : '');
      this.error = null;
      void this.refreshCounts();
    } catch (e) {
      this.error = toIpcError(e);
    }
  }

  /** Keeps the local decision (decides again on the server's copy) or accepts
   * the server's state. */
  async resolve(keepMine: boolean) {
    const row = this.current;
    if (!row?.attention || !row.undoable_decision) return;
    try {
      this.#replace(await api.resolve(row.undoable_decision, keepMine));
      this.notice = keepMine ? t('notice.keptMine') : t('notice.acceptedServer');
      this.error = null;
      void this.refreshCounts();
    } catch (e) {
      this.error = toIpcError(e);
    }
  }

  async undo() {
    const row = this.current;
    if (!row?.undoable_decision) {
      this.notice = t('notice.nothingToUndo');
      return;
    }
    try {
      this.#replace(await api.undo(row.undoable_decision));
      this.notice = t('notice.undone');
      this.error = null;
      void this.refreshCounts();
    } catch (e) {
      this.error = toIpcError(e);
    }
  }
}
