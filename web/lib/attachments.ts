import type { ClinicAttachments } from '../../common/contract/clinic.js';
import type { ErrorBody } from '../../common/contract/common.js';
import { ApiError } from './api';
import { noteActivity } from './idle';

/** The published limits of patient attachments, as `GET /portal/clinic` answers them. */
export type AttachmentLimits = Pick<ClinicAttachments, 'types' | 'maxBytes' | 'maxFiles'>;

/** Short names and file name endings of the content types the server may accept. */
const KNOWN_TYPES: Record<string, { name: string; extensions: string[] }> = {
  'application/pdf': { name: 'PDF', extensions: ['.pdf'] },
  'image/png': { name: 'PNG', extensions: ['.png'] },
  'image/jpeg': { name: 'JPEG', extensions: ['.jpg', '.jpeg'] },
  'image/webp': { name: 'WebP', extensions: ['.webp'] },
  'image/heic': { name: 'HEIC', extensions: ['.heic'] },
};

/** A content type as people say it: "PDF", "JPEG"; an unknown one by its subtype. */
export function fileTypeName(contentType: string): string {
  return KNOWN_TYPES[contentType]?.name ?? (contentType.split('/')[1] ?? contentType).toUpperCase();
}

/** Between a number and its unit: a line never breaks there. */
const NBSP = '\u00a0';

/** A size in bytes, KB or MB (1 MB = 1024 KB, as the server counts). */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}${NBSP}bytes`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))}${NBSP}KB`;
  const mb = bytes / 1024 / 1024;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)}${NBSP}MB`;
}

/** "PDF, PNG, JPEG, WebP or HEIC". */
export function typesInWords(types: readonly string[]): string {
  const names = types.map(fileTypeName);
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The published limits in one sentence, shown before a file is chosen. */
export function limitsInWords(limits: AttachmentLimits): string {
  return `${typesInWords(limits.types)} files, up to ${formatFileSize(limits.maxBytes)} each, at most ${limits.maxFiles} a message.`;
}

/**
 * The file input's `accept`: the types and their name endings (a browser that does not know a
 * type, HEIC on a computer, still offers the file). No `capture`: a phone offers its camera
 * and its files both.
 */
export function acceptOf(types: readonly string[]): string {
  return types.flatMap((t) => [t, ...(KNOWN_TYPES[t]?.extensions ?? [])]).join(',');
}

/**
 * Why a file cannot be attached, checked in the browser before it is sent (the server checks
 * again, the type by the file's content): undefined when it may be.
 */
export function refusalOf(file: File, limits: AttachmentLimits): string | undefined {
  const ending = /\.[^.]+$/.exec(file.name)?.[0]?.toLowerCase() ?? '';
  const typeKnown = file.type !== '' && file.type !== 'application/octet-stream';
  const allowed = typeKnown
    ? limits.types.includes(file.type)
    : limits.types.some((t) => KNOWN_TYPES[t]?.extensions.includes(ending));
  if (!allowed) return `it is not a ${typesInWords(limits.types)} file.`;
  if (file.size === 0) return 'the file is empty.';
  if (file.size > limits.maxBytes)
    return `it is ${formatFileSize(file.size)}, more than the ${formatFileSize(limits.maxBytes)} allowed.`;
  return undefined;
}

/** What `uploadWithProgress` answers. */
export interface Uploaded {
  id: string;
}

/**
 * Uploads a file as multipart/form-data, telling `onProgress` the share sent (0 to 1):
 * XMLHttpRequest, because fetch cannot report an upload's progress. `headers` go with it (the
 * portal's `X-Acting-For`). Refusals throw ApiError as the other calls do.
 */
export function uploadWithProgress<T extends Uploaded>(
  path: string,
  file: File,
  onProgress: (sent: number) => void,
  headers: Record<string, string> = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    const failed = () =>
      reject(
        new ApiError(
          0,
          'network_error',
          'The connection failed. Please check your internet connection and try again.',
          'file',
        ),
      );
    xhr.onerror = failed;
    xhr.ontimeout = failed;
    xhr.onabort = failed;
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        noteActivity();
        onProgress(1);
        resolve(data as T);
        return;
      }
      const err = (data as Partial<ErrorBody> | undefined)?.error;
      reject(
        new ApiError(
          xhr.status,
          err?.code ?? 'error',
          err?.message ??
            (xhr.status === 413 ? 'The file is too large.' : `The upload failed (${xhr.status}).`),
          err?.field ?? 'file',
        ),
      );
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
