import { describe, expect, it } from 'vitest';
import { countLines, fileName, readWithProgress, type Progress } from './exportProgress';

describe('export progress', () => {
  it('counts rows as chunks arrive, without the header line', async () => {
    const enc = new TextEncoder();
    const chunks = ['\ufeff内部ID,LINEユーザーID\r\n1,U1\r', '\n2,U2\r\n', '3,U3\r\n'];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const s of chunks) c.enqueue(enc.encode(s));
        c.close();
      },
    });
    const response = new Response(body, { headers: { 'x-total-count': '3', 'content-disposition': 'attachment; filename="friend-settings-1.csv"' } });
    const seen: Progress[] = [];
    const blob = await readWithProgress(response, (p) => seen.push(p));
    expect(seen.map((p) => p.rows)).toEqual([0, 2, 3]);
    expect(seen.every((p) => p.total === 3)).toBe(true);
    // The bytes pass through untouched, BOM included (text() would strip it).
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([...enc.encode(chunks.join(''))]);
    expect(fileName(response, 'x.csv')).toBe('friend-settings-1.csv');
  });

  it('counts line feeds only', () => {
    expect(countLines(new TextEncoder().encode('a\r\nb\r\nc'))).toBe(2);
  });
});
