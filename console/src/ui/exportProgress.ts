// Reading a streamed CSV download while counting its rows, so a two-million
// row export shows how far it has come instead of a frozen button.

export type Progress = { rows: number; total: number | null };

/** Line feeds in a chunk: each ends one CSV record (quoted fields never hold raw newlines here). */
export function countLines(chunk: Uint8Array): number {
  let n = 0;
  for (const byte of chunk) if (byte === 0x0a) n++;
  return n;
}

/** Reads the whole response body, reporting data rows (the header line excluded) as they arrive. */
export async function readWithProgress(response: Response, onProgress: (p: Progress) => void): Promise<Blob> {
  const header = response.headers.get('x-total-count');
  const total = header === null ? null : Number(header);
  const reader = response.body?.getReader();
  if (!reader) return response.blob();
  const parts: Uint8Array[] = [];
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    lines += countLines(value);
    onProgress({ rows: Math.max(0, lines - 1), total });
  }
  return new Blob(parts as BlobPart[], { type: 'text/csv;charset=utf-8' });
}

/** The file name the server chose (Content-Disposition), or a fallback. */
export function fileName(response: Response, fallback: string): string {
  const match = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return match?.[1] ?? fallback;
}
