import { AppException } from '../errors/app.exception';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips a position', () => {
    const pos = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      id: '5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e',
    };
    expect(decodeCursor(encodeCursor(pos))).toEqual(pos);
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('refuses garbage as a validation error', () => {
    expect(() => decodeCursor('bm9wZQ')).toThrow(AppException);
    expect(() =>
      decodeCursor(Buffer.from('x|5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e').toString('base64url')),
    ).toThrow(AppException);
  });
});
