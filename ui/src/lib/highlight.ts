// Splits a review text into plain and highlighted runs by the filter hits'
// UTF-16 spans (JavaScript strings index UTF-16 code units, like the spans).
import type { ArmHit } from './bindings/ArmHit';

export type Segment = { text: string; hits: ArmHit[] };

/** Hits whose span lies inside `text`; others are stale and shown nowhere. */
export function validHits(text: string, hits: ArmHit[]): ArmHit[] {
  return hits.filter((h) => h.start_utf16 < h.end_utf16 && h.end_utf16 <= text.length);
}

export function segments(text: string, hits: ArmHit[]): Segment[] {
  const valid = validHits(text, hits)
    .sort((a, b) => a.start_utf16 - b.start_utf16 || b.end_utf16 - a.end_utf16);
  const out: Segment[] = [];
  let pos = 0;
  let i = 0;
  while (i < valid.length) {
    const first = valid[i]!;
    // Overlapping hits share one highlighted run.
    let end = first.end_utf16;
    const group = [first];
    i += 1;
    while (i < valid.length && valid[i]!.start_utf16 < end) {
      end = Math.max(end, valid[i]!.end_utf16);
      group.push(valid[i]!);
      i += 1;
    }
    const start = Math.max(first.start_utf16, pos);
    if (start > pos) out.push({ text: text.slice(pos, start), hits: [] });
    if (end > start) out.push({ text: text.slice(start, end), hits: group });
    pos = Math.max(pos, end);
  }
  if (pos < text.length) out.push({ text: text.slice(pos), hits: [] });
  return out;
}
