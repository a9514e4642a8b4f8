// Uploading an image for a delivery: POST /media with the file as the body.

const ACCEPTED = ['image/jpeg', 'image/png', 'video/mp4'];

export type Uploaded = { id: string; kind: string; size: number };

export async function uploadMedia(file: File): Promise<Uploaded> {
  const res = await fetch('/media', {
    method: 'POST',
    credentials: 'same-origin',
    // The file's own type (the server refuses the types a cross-site form could send).
    headers: { 'x-file-name': encodeURIComponent(file.name), 'content-type': ACCEPTED.includes(file.type) ? file.type : 'application/octet-stream' },
    body: file,
  });
  const body = (await res.json().catch(() => null)) as { id?: string; kind?: string; size?: number; error?: { message?: string } } | null;
  if (!res.ok || !body?.id) {
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  return { id: body.id, kind: body.kind ?? 'image', size: body.size ?? 0 };
}
