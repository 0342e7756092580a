import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { ChatErrors } from '../chat.errors';

export type AcceptedType = 'image/jpeg' | 'image/png' | 'application/pdf';

export interface InspectedFile {
  contentType: AcceptedType;
  extension: 'jpg' | 'png' | 'pdf';
  // What is stored: images re-encoded (metadata gone), PDFs as received.
  bytes: Buffer;
}

export interface InspectionLimits {
  maxBytes: number;
  // Decoded pixels (width × height): a small file can decode to gigabytes.
  maxPixels: number;
}

// Forty megapixels: any phone photo, not a decompression bomb.
export const DEFAULT_MAX_PIXELS = 40_000_000;

// Names that make a PDF act rather than show: scripts, launching programs, embedded files,
// rich media, forms with scripts (XFA). Names may be written with #xx escapes; they are decoded
// first. Streams hidden inside compressed object streams are not opened: Hekim never renders a
// PDF, it serves it as a download with nosniff, and the client's viewer is the last line.
const ACTIVE_PDF = /\/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b/;
// A PDF that is also an HTML page (a polyglot a browser could be tricked into rendering).
const HTML_IN_PDF = /<\s*(script|html|iframe|svg|object|embed)\b/i;

// Judges a file by its content, never its name or its declared type (docs/chat.md, "Files"):
// - JPEG, PNG and PDF only, recognised by their signature (`file-type`);
// - images are decoded and re-encoded with sharp (libvips): EXIF (GPS, camera, times), XMP,
//   IPTC, ICC and text chunks are not carried over, the pixels are turned upright first, and
//   whatever was appended to or hidden in the file (a polyglot's second half) is gone; a
//   truncated or corrupt image fails to decode and is refused; a decoded size beyond
//   `maxPixels` is refused before decoding;
// - PDFs must be complete (a `%%EOF` near the end) and free of active content.
export async function inspectFile(input: Buffer, limits: InspectionLimits): Promise<InspectedFile> {
  if (input.length > limits.maxBytes) throw ChatErrors.fileTooLarge(limits.maxBytes);
  if (input.length === 0) throw ChatErrors.unsupported();
  const type = await fileTypeFromBuffer(input);
  const mime: string = type?.mime ?? 'unknown';
  switch (mime) {
    case 'image/jpeg':
      return {
        contentType: 'image/jpeg',
        extension: 'jpg',
        bytes: await reencode(input, 'jpeg', limits),
      };
    case 'image/png':
      return {
        contentType: 'image/png',
        extension: 'png',
        bytes: await reencode(input, 'png', limits),
      };
    case 'application/pdf':
      return { contentType: 'application/pdf', extension: 'pdf', bytes: checkPdf(input) };
    default:
      throw ChatErrors.unsupported();
  }
}

async function reencode(
  input: Buffer,
  format: 'jpeg' | 'png',
  limits: InspectionLimits,
): Promise<Buffer> {
  try {
    // failOn 'warning': a truncated or damaged image is an error, not a half-grey picture.
    const image = sharp(input, { failOn: 'warning', limitInputPixels: limits.maxPixels }).rotate();
    const out =
      format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png({ compressionLevel: 9 });
    return await out.toBuffer();
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message))
      throw ChatErrors.imageTooLarge(limits.maxPixels);
    throw ChatErrors.damaged();
  }
}

function checkPdf(input: Buffer): Buffer {
  if (!input.subarray(0, 5).equals(Buffer.from('%PDF-'))) throw ChatErrors.unsupported();
  const tail = input.subarray(Math.max(0, input.length - 2048)).toString('latin1');
  if (!tail.includes('%%EOF')) throw ChatErrors.damaged();
  const text = input.toString('latin1');
  const names = text.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  if (ACTIVE_PDF.test(names) || HTML_IN_PDF.test(text)) throw ChatErrors.activeContent();
  return input;
}

// A file name fit for Content-Disposition and the chat: the base name, without path,
// control or reserved characters, at most 120 characters, ending in the extension the
// content earned (a PDF named photo.png is stored as photo.pdf).
export function safeFileName(original: string | undefined, extension: string): string {
  const base = (original ?? '')
    .split(/[\\/]/)
    .pop()!
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069"<>:|?*;]/gu, '')
    .replace(/\.[^.]*$/, '')
    .trim()
    .slice(0, 100);
  return `${base || 'file'}.${extension}`;
}
