import { AppException } from '../errors/app.exception';

// Keyset pagination cursor: the sort timestamp and id of the last item, opaque to clients.
export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): CursorPosition | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(date.getTime()))
    throw AppException.validation([{ field: 'cursor', messages: ['cursor is not valid'] }]);
  return { at: date, id };
}

export const DEFAULT_PAGE_SIZE = 50;
