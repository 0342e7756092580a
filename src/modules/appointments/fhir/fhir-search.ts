import { AppException } from '../../../common/errors/app.exception';
import { isUuid } from '../../../common/validation/ids';

// FHIR search parameters of the read API (docs/appointments.md, "FHIR read API"): `date` with
// its comparison prefixes, and references given as `Type/id` or a bare id.

export interface DateRange {
  from?: Date; // inclusive
  to?: Date; // exclusive
}

const DATE =
  /^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

const later = (a: Date | undefined, b: Date): Date => (a && a > b ? a : b);
const earlier = (a: Date | undefined, b: Date): Date => (a && a < b ? a : b);

// Each `date` value narrows the range. A day (`2027-01-04`) stands for the whole UTC day; an
// instant stands for itself (to the millisecond).
export function dateRange(values: readonly string[]): DateRange {
  const range: DateRange = {};
  for (const value of values) {
    const match = DATE.exec(value);
    const day = match?.[2];
    const time = match?.[3];
    const start = match ? new Date(time ? `${day}${time}` : `${day}T00:00:00Z`) : undefined;
    if (!match || !start || Number.isNaN(start.getTime()))
      throw AppException.validation([
        {
          field: 'date',
          messages: [`"${value}" is not a FHIR date (e.g. ge2027-01-04 or 2027-01-04T09:00:00Z)`],
        },
      ]);
    const end = new Date(start.getTime() + (time ? 1 : 86_400_000));
    switch (match[1] ?? 'eq') {
      case 'eq':
        range.from = later(range.from, start);
        range.to = earlier(range.to, end);
        break;
      case 'ge':
        range.from = later(range.from, start);
        break;
      case 'gt':
        range.from = later(range.from, end);
        break;
      case 'le':
        range.to = earlier(range.to, end);
        break;
      case 'lt':
        range.to = earlier(range.to, start);
        break;
    }
  }
  return range;
}

// `Practitioner/<id>` or `<id>` for a parameter whose type is `type`; anything else is 400.
export function referenceId(field: string, type: string, value: string): string {
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value;
  if (!isUuid(id))
    throw AppException.validation([
      { field, messages: [`must be ${type}/<id> or an id (got "${value}")`] },
    ]);
  return id.toLowerCase();
}
