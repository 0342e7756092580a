import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';
import { AppException } from './app.exception';
import { ErrorCode } from './error-code';
import { createValidationPipe } from './validation';

class WithDate {
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  at?: Date;
}

describe('AppValidationPipe', () => {
  const pipe = createValidationPipe();
  const meta = { type: 'body' as const, metatype: WithDate };

  it('turns a value the transformer cannot convert into VALIDATION_FAILED, not a crash', async () => {
    // new Date({toString: {}}) throws a TypeError inside class-transformer.
    const err = (await pipe.transform({ at: { toString: {} } }, meta).catch((e: unknown) => e)) as
      AppException | undefined;
    expect(err).toBeInstanceOf(AppException);
    expect(err?.code).toBe(ErrorCode.ValidationFailed);
  });

  it('refuses NUL characters anywhere in a payload (PostgreSQL text cannot hold them)', async () => {
    for (const value of [{ at: 'a\u0000b' }, { nested: ['x', { y: '\u0000' }] }, 'q\u0000'])
      await expect(pipe.transform(value, meta)).rejects.toMatchObject({
        code: ErrorCode.ValidationFailed,
      });
    // Custom parameter decorators (the signed-in user) are not client input.
    await expect(pipe.transform('a\u0000', { type: 'custom' })).resolves.toBe('a\u0000');
  });

  it('refuses dates PostgreSQL cannot store', async () => {
    for (const at of ['-111111-11-01T13:57:38.706Z', '+275760-09-13T00:00:00.000Z', 8.64e15])
      await expect(pipe.transform({ at }, meta)).rejects.toMatchObject({
        code: ErrorCode.ValidationFailed,
      });
    await expect(pipe.transform({ at: '9999-12-31T23:59:59Z' }, meta)).resolves.toBeDefined();
  });

  it('still converts and validates ordinary input', async () => {
    const ok = (await pipe.transform({ at: '2026-01-02T03:04:05Z' }, meta)) as WithDate;
    expect(ok.at).toEqual(new Date('2026-01-02T03:04:05Z'));
    await expect(pipe.transform({ at: 'not a date' }, meta)).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
  });
});
