import type { AuditRecordBody } from '../chain/audit-chain';
import type * as fhir4 from 'fhir/r4';
import { BALP, balpProfileOf, toFhirAuditEvent } from './audit-fhir';

// The rules of the IHE BALP 1.1.4 RESTful profiles (Read, Create, Update, Delete, Query and
// their Patient variants) as published, written as data, and a checker that lists what an
// AuditEvent breaks. Slices are told apart by their type, as the profiles' discriminators do.
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const INTERACTION = 'http://hl7.org/fhir/restful-interaction';
type Code = readonly [system: string, code: string];

interface RestRules {
  subtype: readonly string[]; // one of these restful-interaction codes is required
  action: string;
  client: Code;
  server: Code;
  query: boolean; // a query entity (role 24, query, no what) instead of a data entity
}

const RULES: Record<string, RestRules> = {
  Read: {
    subtype: ['read', 'vread'],
    action: 'R',
    client: [DCM, '110152'],
    server: [DCM, '110153'],
    query: false,
  },
  Create: {
    subtype: ['create'],
    action: 'C',
    client: [DCM, '110153'],
    server: [DCM, '110152'],
    query: false,
  },
  Update: {
    subtype: ['update', 'patch'],
    action: 'U',
    client: [DCM, '110153'],
    server: [DCM, '110152'],
    query: false,
  },
  Delete: {
    subtype: ['delete'],
    action: 'D',
    client: [DCM, '110150'],
    server: ['http://terminology.hl7.org/CodeSystem/provenance-participant-type', 'custodian'],
    query: false,
  },
  Query: {
    subtype: ['search', 'search-type', 'search-system'],
    action: 'E',
    client: [DCM, '110153'],
    server: [DCM, '110152'],
    query: true,
  },
};
const REST_OBJECT_ROLES = ['4', '3', '20'];
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

const has = (c: fhir4.CodeableConcept | undefined, [system, code]: Code) =>
  (c?.coding ?? []).some((x) => x.system === system && x.code === code);
const is = (c: fhir4.Coding | undefined, [system, code]: Code) =>
  c?.system === system && c?.code === code;

// The violations of `profile` (e.g. "PatientRead") by `e`; empty when it conforms.
function balpViolations(profile: string, e: fhir4.AuditEvent): string[] {
  const patient = profile.startsWith('Patient');
  const rules = RULES[patient ? profile.slice('Patient'.length) : profile];
  if (!rules) return [`unknown profile ${profile}`];
  const out: string[] = [];
  const fail = (cond: boolean, what: string) => {
    if (!cond) out.push(what);
  };
  fail(
    is(e.type, ['http://terminology.hl7.org/CodeSystem/audit-event-type', 'rest']),
    'type is not audit-event-type#rest',
  );
  fail(
    (e.subtype ?? []).filter((s) => rules.subtype.some((c) => is(s, [INTERACTION, c]))).length ===
      1,
    `subtype lacks exactly one of restful-interaction ${rules.subtype.join('|')}`,
  );
  fail(e.action === rules.action, `action is not ${rules.action}`);
  fail(e.outcome === '0', 'outcome is not 0');
  fail(!!e.recorded, 'recorded missing');
  fail(e.agent.length >= 2, 'fewer than 2 agents');
  for (const [slice, code] of [
    ['client', rules.client],
    ['server', rules.server],
  ] as const) {
    const agents = e.agent.filter((a) => has(a.type, code));
    fail(agents.length === 1, `agent[${slice}] (${code[1]}) is not there exactly once`);
    for (const a of agents) {
      fail(!!a.who, `agent[${slice}].who missing`);
      fail(!!a.network?.address, `agent[${slice}].network missing`);
      fail(a.media === undefined, `agent[${slice}].media present`);
    }
  }
  const IRCP: Code = ['http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'IRCP'];
  const users = e.agent.filter((a) => has(a.type, IRCP));
  fail(users.length <= 1, 'agent[user] more than once');
  for (const u of users) {
    fail(!!u.who && u.requestor === true && !u.network, 'agent[user] who/requestor/network');
  }
  const systemObjects = (e.entity ?? []).filter((x) => is(x.type, [ENTITY_TYPE, '2']));
  fail(systemObjects.length === 1, 'entity[data|query] is not there exactly once');
  for (const d of systemObjects) {
    if (rules.query) {
      fail(is(d.role, [OBJECT_ROLE, '24']), 'entity[query].role is not 24');
      fail(!!d.query && d.what === undefined, 'entity[query] needs query and no what');
      fail(d.detail === undefined && d.lifecycle === undefined, 'entity[query] detail/lifecycle');
    } else {
      fail(
        REST_OBJECT_ROLES.some((c) => is(d.role, [OBJECT_ROLE, c])),
        'entity[data].role is not in RestObjectRoles',
      );
      fail(!!d.what, 'entity[data].what missing');
    }
  }
  if (patient) {
    fail((e.entity ?? []).length >= 2, 'fewer than 2 entities');
    const people = (e.entity ?? []).filter((x) => is(x.type, [ENTITY_TYPE, '1']));
    fail(people.length === 1, 'entity[patient] is not there exactly once');
    for (const p of people) {
      fail(is(p.role, [OBJECT_ROLE, '1']), 'entity[patient].role is not 1 Patient');
      fail(p.what?.type === 'Patient', 'entity[patient].what is not a Reference(Patient)');
    }
  }
  return out;
}

const base: AuditRecordBody = {
  seq: '7',
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { userId: null, role: null, ip: null, userAgent: null },
  action: 'system.tick',
  outcome: 'success',
  resource: { type: null, id: null },
  subjectId: null,
  requestId: null,
  details: {},
};

describe('FHIR AuditEvent mapping', () => {
  it.each([
    ['auth.login', '110114', 'E'],
    ['audit.export', '110106', 'R'],
    ['audit.verify', '110101', 'R'],
    ['user.create', 'rest', 'C'],
    ['user.update', 'rest', 'U'],
    ['session.revoke', 'rest', 'D'],
    ['patient.read', 'rest', 'R'],
  ])('maps %s to type %s and action %s', (action, type, verb) => {
    const e = toFhirAuditEvent({ ...base, action }, '0'.repeat(64), '1'.repeat(64));
    expect(e.type.code).toBe(type);
    expect(e.action).toBe(verb);
    // Hekim's own action code comes first (BALP records add a restful-interaction code).
    expect(e.subtype?.[0]).toEqual({ system: 'urn:hekim:audit:action', code: action });
  });

  it('maps outcomes and leaves out what the record does not have', () => {
    const e = toFhirAuditEvent({ ...base, outcome: 'denied' }, '0'.repeat(64), '1'.repeat(64));
    expect(e.outcome).toBe('4');
    expect(e.outcomeDesc).toBe('denied');
    expect(e.agent[0].who).toBeUndefined();
    expect(e.agent[0].network).toBeUndefined();
    expect(e.entity).toBeUndefined();
    expect(toFhirAuditEvent({ ...base, outcome: 'odd' }, '', '').outcome).toBe('8');
  });

  it('drops an empty resource id rather than writing an empty identifier', () => {
    const e = toFhirAuditEvent(
      { ...base, resource: { type: 'audit_trail', id: null } },
      '0'.repeat(64),
      '1'.repeat(64),
    );
    expect(e.entity?.[0].what?.identifier).toEqual({ system: 'urn:hekim:audit_trail' });
  });

  describe('IHE BALP', () => {
    const patientId = '6f1c2a3b-0000-4000-8000-000000000001';
    const record = (action: string, extra: Partial<AuditRecordBody> = {}): AuditRecordBody => ({
      ...base,
      action,
      actor: { userId: 'd0c7', role: 'doctor', ip: '203.0.113.7', userAgent: 'app/1.0' },
      resource: { type: 'user', id: patientId },
      subjectId: patientId,
      ...extra,
    });
    // The deployment's host (AUDIT_SOURCE_HOST), the server's network address.
    const HOST = 'hekim.example.org';
    const codes = (c?: { coding?: { code?: string }[] }) => (c?.coding ?? []).map((x) => x.code);
    // Client and server agent types per interaction, as BALP 1.1.4 fixes them.
    const AGENT_TYPES: Record<string, [string, string]> = {
      read: ['110152', '110153'],
      create: ['110153', '110152'],
      update: ['110153', '110152'],
      delete: ['110150', 'custodian'],
      'search-type': ['110153', '110152'],
    };

    it.each([
      ['patient_profile.read', 'PatientRead', 'read', 'R'],
      ['user.read', 'PatientRead', 'read', 'R'],
      ['break_glass.access', 'PatientRead', 'read', 'R'],
      ['user.create', 'PatientCreate', 'create', 'C'],
      ['patient_profile.update', 'PatientUpdate', 'update', 'U'],
      ['user.deactivate', 'PatientDelete', 'delete', 'D'],
      ['user.search', 'PatientQuery', 'search-type', 'E'],
      ['consent.grant', 'PatientCreate', 'create', 'C'],
      ['consent.withdraw', 'PatientUpdate', 'update', 'U'],
    ])(
      '%s follows %s with the structure and codes the profile requires',
      (action, name, code, verb) => {
        const e = toFhirAuditEvent(record(action), '0'.repeat(64), '1'.repeat(64), HOST);
        expect(e.meta?.profile).toEqual([`${BALP}.${name}`]);
        // type rest, a restful-interaction subtype beside Hekim's own action code, the action.
        expect(e.type).toMatchObject({
          system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
          code: 'rest',
        });
        expect(e.subtype).toEqual(
          expect.arrayContaining([{ system: 'http://hl7.org/fhir/restful-interaction', code }]),
        );
        expect(e.action).toBe(verb);
        expect(e.outcome).toBe('0');
        // Agents: the client (with its address) and the server (with a network entry), typed as
        // each profile fixes them, and the user who asked (requestor).
        const [clientType, serverType] = AGENT_TYPES[code];
        const client = e.agent.filter((a) => codes(a.type).includes(clientType));
        const server = e.agent.filter((a) => codes(a.type).includes(serverType));
        expect(client).toHaveLength(1);
        expect(client[0]).toMatchObject({
          requestor: false,
          who: { display: 'app/1.0' },
          network: { address: '203.0.113.7', type: '2' },
        });
        expect(server).toHaveLength(1);
        expect(server[0]).toMatchObject({
          requestor: false,
          who: { display: 'hekim' },
          network: { address: HOST, type: '1' },
        });
        expect(e.source.observer).toEqual({ display: HOST });
        expect(e.agent).toHaveLength(3);
        expect(e.agent.filter((a) => a.requestor)).toHaveLength(1);
        expect(e.source.type?.[0].code).toBe('4');
        // Entities: the patient (Person, role Patient, a Patient reference) and the data
        // (Domain Resource), or for a query the query itself (role Query, base64).
        const patient = e.entity?.filter((x) => x.role?.code === '1') ?? [];
        expect(patient).toHaveLength(1);
        expect(patient[0]).toMatchObject({
          type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1' },
          what: { type: 'Patient', identifier: { value: patientId } },
        });
        const data = e.entity?.filter(
          (x) => x.role?.code === (code === 'search-type' ? '24' : '4'),
        );
        expect(data).toHaveLength(1);
        expect(data?.[0].type).toMatchObject({ code: '2' });
        if (code === 'search-type') expect(data?.[0].query).toMatch(/^[A-Za-z0-9+/=]+$/);
        expect(e.entity).toHaveLength(2);
      },
    );

    it('names the consent record a Consent, the person deciding its patient', () => {
      const consentId = '1d2e3f40-0000-4000-8000-000000000002';
      const e = toFhirAuditEvent(
        record('consent.grant', { resource: { type: 'consent', id: consentId } }),
        '0'.repeat(64),
        '1'.repeat(64),
      );
      const data = e.entity?.find((x) => x.role?.code === '4');
      expect(data?.what).toEqual({
        type: 'Consent',
        identifier: { system: 'urn:hekim:consent', value: consentId },
      });
      expect(e.entity?.find((x) => x.role?.code === '1')?.what).toMatchObject({
        type: 'Patient',
        identifier: { value: patientId },
      });
      // Not the AuthZconsent profile: that one records an access decision taken on a consent.
      expect(e.type.code).toBe('rest');
      expect(e.meta?.profile).toEqual([`${BALP}.PatientCreate`]);
    });

    const BTG = {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
          code: 'BTG',
          display: 'break the glass',
        },
      ],
    };

    it('gives a break-glass read the break-the-glass purpose of use on the user agent', () => {
      const e = toFhirAuditEvent(record('break_glass.access'), '0'.repeat(64), '1'.repeat(64));
      const user = e.agent.filter((a) => a.requestor);
      expect(user).toHaveLength(1);
      expect(user[0].purposeOfUse).toEqual([BTG]);
      const plain = toFhirAuditEvent(record('patient_profile.read'), '', '');
      expect(plain.agent.some((a) => a.purposeOfUse)).toBe(false);
    });

    // BALP has no profile for these; they follow the IHE ATNA / DICOM PS3.15 event codes.
    const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
    it.each([
      ['auth.login', 'success', '110114', '110122', '0'],
      ['auth.login', 'failure', '110114', '110122', '4'],
      ['auth.login', 'denied', '110114', '110122', '4'],
      ['auth.logout', 'success', '110114', '110123', '0'],
      ['break_glass.start', 'success', '110113', '110127', '0'],
      ['break_glass.end', 'success', '110113', '110138', '0'],
      ['break_glass.expire', 'success', '110113', '110138', '0'],
    ])(
      '%s (%s) is a DICOM %s event with subtype %s, action E, outcome %s and no BALP profile',
      (action, outcome, type, sub, code) => {
        const e = toFhirAuditEvent(record(action, { outcome }), '0'.repeat(64), '1'.repeat(64));
        expect(e.meta).toBeUndefined();
        expect(e.type).toMatchObject({ system: DCM, code: type });
        expect(e.subtype).toEqual([
          { system: 'urn:hekim:audit:action', code: action },
          expect.objectContaining({ system: DCM, code: sub }),
        ]);
        expect(e.action).toBe('E');
        expect(e.outcome).toBe(code);
        // One agent, the person acting (requestor), with their network address.
        expect(e.agent).toHaveLength(1);
        expect(e.agent[0]).toMatchObject({
          requestor: true,
          who: { identifier: { value: 'd0c7' } },
          network: { address: '203.0.113.7', type: '2' },
        });
        expect(e.agent[0].purposeOfUse).toEqual(action === 'break_glass.start' ? [BTG] : undefined);
        // The person the record is about: the account holder (object-role 6 User) for a
        // sign-in or sign-out, the patient (role 1) whose record the glass was broken for.
        const person = e.entity?.filter((x) => x.type?.code === '1') ?? [];
        expect(person).toHaveLength(1);
        expect(person[0].role?.code).toBe(action.startsWith('auth.') ? '6' : '1');
        expect(person[0].what?.identifier?.value).toBe(patientId);
      },
    );

    it('gives an IP literal host as an IP address and keeps the old name without a host', () => {
      const server = (e: ReturnType<typeof toFhirAuditEvent>) =>
        e.agent.find((a) => codes(a.type).includes('110153'));
      for (const [host, type] of [
        ['10.0.0.5', '2'],
        ['2001:db8::1', '2'],
        ['app-1.internal', '1'],
      ]) {
        const e = toFhirAuditEvent(record('user.read'), '', '', host);
        expect(server(e)?.network).toEqual({ address: host, type });
        expect(e.source.observer).toEqual({ display: host });
      }
      const old = toFhirAuditEvent(record('user.read'), '', '');
      expect(server(old)?.network).toEqual({ address: 'hekim', type: '1' });
      expect(old.source.observer).toEqual({ display: 'hekim' });
    });

    // Every action of the mapping table, with and without a subject, against the published
    // rules (balpViolations above), and the check itself catches a broken event.
    it.each([
      'user.read',
      'patient_profile.read',
      'break_glass.access',
      'auth.register',
      'user.create',
      'appointment.book',
      'consent.grant',
      'user.update',
      'user.profile_update',
      'patient_profile.update',
      'appointment.reschedule',
      'appointment.cancel',
      'consent.withdraw',
      'user.deactivate',
      'data_subject.erasure_approve',
      'user.search',
    ])('%s conforms to the profile it declares, as published', (action) => {
      for (const subjectId of [patientId, null]) {
        const e = toFhirAuditEvent(record(action, { subjectId }), '0'.repeat(64), '1'.repeat(64));
        const declared = e.meta?.profile?.[0] ?? '';
        expect(declared.startsWith(`${BALP}.`)).toBe(true);
        const name = declared.slice(BALP.length + 1);
        expect(name.startsWith('Patient')).toBe(subjectId !== null);
        expect(balpViolations(name, e)).toEqual([]);
      }
    });

    it('the rule check finds what a broken event breaks', () => {
      const e = toFhirAuditEvent(record('user.read'), '0'.repeat(64), '1'.repeat(64));
      expect(balpViolations('PatientRead', { ...e, action: 'C', agent: [e.agent[0]] })).toEqual(
        expect.arrayContaining([
          'action is not R',
          'fewer than 2 agents',
          'agent[client] (110152) is not there exactly once',
        ]),
      );
      expect(balpViolations('PatientDelete', e)).toContain('action is not D');
      expect(balpViolations('Query', e)).toContain('entity[query].role is not 24');
      expect(balpViolations('Nothing', e)).toEqual(['unknown profile Nothing']);
    });

    it('uses the basic profile without a patient, and none for refusals or other actions', () => {
      expect(balpProfileOf(record('user.update', { subjectId: null }))).toBe(`${BALP}.Update`);
      expect(balpProfileOf(record('user.read', { outcome: 'denied' }))).toBeNull();
      expect(balpProfileOf(record('room.join'))).toBeNull();
      // Without the client's address (a record Hekim made itself) no profile is claimed.
      const system = { userId: null, role: 'system', ip: null, userAgent: null };
      expect(balpProfileOf(record('appointment.cancel', { actor: system }))).toBeNull();
      const e = toFhirAuditEvent(record('auth.login'), '0'.repeat(64), '1'.repeat(64));
      expect(e.meta).toBeUndefined();
      expect(e.agent).toHaveLength(1);
    });
  });
});
