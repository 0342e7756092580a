import { AppException } from '../../../common/errors/app.exception';
import { dateRange, referenceId } from './fhir-search';

const iso = (d: Date | undefined) => d?.toISOString();

describe('FHIR search parameters', () => {
  it('reads a day as the whole UTC day and an instant as itself', () => {
    const day = dateRange(['2027-01-04']);
    expect([iso(day.from), iso(day.to)]).toEqual([
      '2027-01-04T00:00:00.000Z',
      '2027-01-05T00:00:00.000Z',
    ]);
    const instant = dateRange(['eq2027-01-04T09:00:00+03:00']);
    expect([iso(instant.from), iso(instant.to)]).toEqual([
      '2027-01-04T06:00:00.000Z',
      '2027-01-04T06:00:00.001Z',
    ]);
  });

  it('combines prefixes into one window, the narrowest bound winning', () => {
    const r = dateRange(['ge2027-01-01', 'lt2027-02-01', 'gt2027-01-03', 'le2027-01-20']);
    expect([iso(r.from), iso(r.to)]).toEqual([
      '2027-01-04T00:00:00.000Z',
      '2027-01-21T00:00:00.000Z',
    ]);
    expect(dateRange([])).toEqual({});
  });

  it('refuses what is not a FHIR date', () => {
    for (const bad of ['tomorrow', 'ne2027-01-04', '2027-13-01', '2027-01-04T09:00'])
      expect(() => dateRange([bad])).toThrow(AppException);
  });

  it('takes a reference as Type/id or a bare id', () => {
    const id = '0B9F6F55-3C84-4D1E-9A56-D7F2C8A1E3B4';
    expect(referenceId('practitioner', 'Practitioner', `Practitioner/${id}`)).toBe(
      id.toLowerCase(),
    );
    expect(referenceId('patient', 'Patient', id)).toBe(id.toLowerCase());
    expect(() => referenceId('patient', 'Patient', `Practitioner/${id}`)).toThrow(AppException);
  });
});
