// The composer's draft and its translation into the API's DeliveryInput.
// LINE counts text in UTF-16 code units (an emoji is usually two), so the
// counter shown beside the text uses the same rule as the server.

import type { Group, SegmentExpr } from '../audience/expression';
import { toExpression } from '../audience/expression';

export const MAX_MESSAGES = 5;
export const MAX_TEXT_UNITS = 5000;

export type DraftMessage =
  | { kind: 'text'; text: string }
  | { kind: 'image'; mediaId: string; fileName: string }
  | { kind: 'video'; mediaId: string; previewMediaId: string; fileName: string };

export type DraftTarget = { kind: 'all' } | { kind: 'segment'; segmentId: number | null } | { kind: 'expression'; root: Group };

export type Draft = { title: string; messages: DraftMessage[]; target: DraftTarget };

/** LINE's length of a text: UTF-16 code units. */
export function utf16Length(text: string): number {
  return text.length;
}

type TargetInput = { all: boolean } | { segmentId: number } | { expression: SegmentExpr };

export function targetInput(t: DraftTarget): TargetInput | null {
  switch (t.kind) {
    case 'all':
      return { all: true };
    case 'segment':
      return t.segmentId === null ? null : { segmentId: t.segmentId };
    case 'expression':
      return { expression: toExpression(t.root) };
  }
}

export function deliveryInput(d: Draft) {
  return {
    title: d.title,
    messages: d.messages.map((m) => {
      switch (m.kind) {
        case 'text':
          return { text: m.text };
        case 'image':
          return { image: m.mediaId };
        case 'video':
          return { video: { mediaId: m.mediaId, previewMediaId: m.previewMediaId } };
      }
    }),
    target: targetInput(d.target) ?? { all: true },
  };
}

type StoredMessage = { type: string; text?: string | null; mediaId?: string | null; previewMediaId?: string | null };

/** A saved message back in the composer's shape. */
export function fromStored(m: StoredMessage): DraftMessage {
  if (m.type === 'image') return { kind: 'image', mediaId: m.mediaId ?? '', fileName: '' };
  if (m.type === 'video') return { kind: 'video', mediaId: m.mediaId ?? '', previewMediaId: m.previewMediaId ?? '', fileName: '' };
  return { kind: 'text', text: m.text ?? '' };
}
