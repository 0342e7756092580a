import {
  type ArgumentMetadata,
  applyDecorators,
  Injectable,
  ParseUUIDPipe,
  type PipeTransform,
} from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

// Ids are UUIDs and UUIDs are case-insensitive: `A1B2…` and `a1b2…` name the same row (the
// database agrees), so every id in input is lower-cased before it is validated or compared.
// Without it two spellings of one id slipped past uniqueness checks in JavaScript and met the
// database's unique key as a 500.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A UUID in canonical form, in either case: for ids that arrive outside a DTO (a token's
// claims, a cursor, a message's payload).
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function lower(value: unknown): unknown {
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value))
    return value.map((v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
  return value;
}

export interface IsIdOptions {
  // Every element of an array (then `@ArrayUnique` sees the canonical spellings).
  each?: boolean;
  // `4` unless the id may come from elsewhere (any version).
  version?: '4' | 'all';
}

// A UUID field of a DTO: canonicalized, then validated.
export function IsId(options: IsIdOptions = {}): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => lower(value)),
    IsUUID(options.version ?? '4', { each: options.each }),
  );
}

// A UUID path parameter: validated like ParseUUIDPipe (400 otherwise), then canonicalized.
@Injectable()
export class IdPipe implements PipeTransform<string, Promise<string>> {
  private readonly inner: ParseUUIDPipe;

  constructor(version: '4' | 'all' = '4') {
    this.inner = new ParseUUIDPipe(version === 'all' ? {} : { version });
  }

  async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return (await this.inner.transform(value, metadata)).toLowerCase();
  }
}
