import sharp from 'sharp';
import { AppException } from '../../../common/errors/app.exception';
import { inspectFile, safeFileName } from './file-inspector';

const LIMITS = { maxBytes: 5_000_000, maxPixels: 4_000_000 };

export async function jpegWithGps(width = 32, height = 16): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'SecretCam', Copyright: 'Patient Name' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '41/1 0/1 0/1' },
    })
    .toBuffer();
}

async function reasonOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err instanceof AppException ? err.extensions.reason : err;
  }
  return 'accepted';
}

function pdf(body: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj\n<< /Type /Catalog ${body} >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

describe('inspectFile', () => {
  it('re-encodes a JPEG without its EXIF (GPS, camera, names)', async () => {
    const input = await jpegWithGps();
    expect(input.includes(Buffer.from('SecretCam'))).toBe(true);
    const out = await inspectFile(input, LIMITS);
    expect(out.contentType).toBe('image/jpeg');
    expect(out.bytes.includes(Buffer.from('SecretCam'))).toBe(false);
    expect(out.bytes.includes(Buffer.from('Patient Name'))).toBe(false);
    const meta = await sharp(out.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.width).toBe(32);
  });

  it('drops PNG text chunks', async () => {
    const input = await sharp({
      create: { width: 8, height: 8, channels: 4, background: '#00ff00' },
    })
      .png()
      .withMetadata({ exif: { IFD0: { ImageDescription: 'home address' } } })
      .toBuffer();
    const out = await inspectFile(input, LIMITS);
    expect(out.contentType).toBe('image/png');
    expect(out.bytes.includes(Buffer.from('home address'))).toBe(false);
  });

  it('judges by content: a PDF is a PDF whatever its name', async () => {
    const out = await inspectFile(pdf('/Pages 2 0 R'), LIMITS);
    expect(out.contentType).toBe('application/pdf');
    expect(safeFileName('scan.png', out.extension)).toBe('scan.pdf');
  });

  it('refuses what is not JPEG, PNG or PDF', async () => {
    expect(
      await reasonOf(inspectFile(Buffer.from('<html><script>alert(1)</script>'), LIMITS)),
    ).toBe('UNSUPPORTED_FILE_TYPE');
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    expect(await reasonOf(inspectFile(gif, LIMITS))).toBe('UNSUPPORTED_FILE_TYPE');
    expect(await reasonOf(inspectFile(Buffer.alloc(0), LIMITS))).toBe('UNSUPPORTED_FILE_TYPE');
  });

  it('refuses files over the byte limit and images over the pixel limit', async () => {
    expect(await reasonOf(inspectFile(Buffer.alloc(LIMITS.maxBytes + 1), LIMITS))).toBe(
      'FILE_TOO_LARGE',
    );
    const huge = await sharp({
      create: { width: 3000, height: 3000, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer();
    expect(await reasonOf(inspectFile(huge, LIMITS))).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses truncated images and PDFs', async () => {
    const jpeg = await jpegWithGps(256, 256);
    expect(await reasonOf(inspectFile(jpeg.subarray(0, jpeg.length / 2), LIMITS))).toBe(
      'FILE_DAMAGED',
    );
    const whole = pdf('/Pages 2 0 R');
    expect(await reasonOf(inspectFile(whole.subarray(0, whole.length - 8), LIMITS))).toBe(
      'FILE_DAMAGED',
    );
  });

  it('refuses PDFs with active content, escaped names included, and PDF/HTML polyglots', async () => {
    expect(
      await reasonOf(
        inspectFile(pdf('/OpenAction << /S /JavaScript /JS (app.alert(1)) >>'), LIMITS),
      ),
    ).toBe('FILE_ACTIVE_CONTENT');
    expect(await reasonOf(inspectFile(pdf('/OpenAction << /S /#4Aava#53cript >>'), LIMITS))).toBe(
      'FILE_ACTIVE_CONTENT',
    );
    expect(await reasonOf(inspectFile(pdf('/Names << /EmbeddedFiles 3 0 R >>'), LIMITS))).toBe(
      'FILE_ACTIVE_CONTENT',
    );
    expect(await reasonOf(inspectFile(pdf('(<script>alert(1)</script>)'), LIMITS))).toBe(
      'FILE_ACTIVE_CONTENT',
    );
  });

  it('keeps only the pixels of a JPEG with a payload appended (a polyglot)', async () => {
    const payload = Buffer.from('PK\u0003\u0004 <script>alert(1)</script> %PDF-1.4');
    const input = Buffer.concat([await jpegWithGps(), payload]);
    const out = await inspectFile(input, LIMITS);
    expect(out.contentType).toBe('image/jpeg');
    expect(out.bytes.includes(Buffer.from('<script>'))).toBe(false);
  });
});

describe('safeFileName', () => {
  it('keeps a base name without paths, controls or quotes, with the earned extension', () => {
    expect(safeFileName('../../etc/passwd', 'pdf')).toBe('passwd.pdf');
    expect(safeFileName('C:\\x\\"evil"\r\n.jpg', 'jpg')).toBe('evil.jpg');
    expect(safeFileName(undefined, 'png')).toBe('file.png');
    expect(safeFileName('tahlil sonucu ğüş.pdf', 'pdf')).toBe('tahlil sonucu ğüş.pdf');
  });
});
