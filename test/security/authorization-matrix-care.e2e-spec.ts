import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  CARE_CALLERS,
  type CareCaller,
  coveredRoutes,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { acceptInvitation, careRelationshipsOf, inviteToRoom } from '../support/care';
import { connect, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

interface Ctx {
  caller: CareCaller;
  // The caller (none for anonymous) and their bearer header.
  me: SignedIn | null;
  auth: Record<string, string>;
  // The two parties of the case's care relationship, made fresh for each caller.
  doctor: SignedIn;
  patient: SignedIn;
  relationshipId: string;
  // A second room of the doctor's, to which the patient is invited and has not answered.
  invitationRoomId: string;
}

type Case = MatrixCase<Ctx, CareCaller>;

const BOTH_PARTIES: CareCaller[] = ['doctor:related', 'patient:related'];
const STAFF: CareCaller[] = ['doctor:related', 'doctor:unrelated', Role.Admin];

// The route × caller matrix with the relationship dimension (docs/access-model.md): for every
// route whose answer depends on who treats whom, each kind of caller, with or without a care
// relationship to the record at hand, gets exactly the access the access model gives.
describe('security: authorization matrix with care relationships', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: {
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        CALL_INITIATE_RATE_PER_MINUTE: '1000',
        ICE_SERVERS_RATE_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(() => t.close());

  const http = () => t.http();
  // A socket acknowledgement as the status REST would have answered.
  const ackStatus = (ack: { ok: boolean; error?: { code: string } }): { status: number } => ({
    status: ack.ok
      ? 200
      : (({ FORBIDDEN: 403, NOT_FOUND: 404, UNAUTHORIZED: 401 } as Record<string, number>)[
          ack.error?.code ?? ''
        ] ?? 500),
  });
  async function overSocket(
    c: Ctx,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<{ status: number }> {
    if (!c.me) return { status: 401 };
    const socket = await connect(t, { token: c.me.accessToken });
    try {
      return ackStatus(await request(socket, event, payload));
    } finally {
      socket.close();
    }
  }
  // The callee a caller would ring in the "counterpart" case: the patient for everyone, but
  // the patient rings their doctor (a patient ringing themselves would be a 400).
  const counterpart = (c: Ctx): string =>
    c.caller === 'patient:related' ? c.doctor.user.id : c.patient.user.id;

  const cases: Case[] = [
    {
      route: 'GET /users/:id (a patient)',
      allowed: ['doctor:related', 'patient:related', Role.Admin],
      call: (c) => http().get(`/api/v1/users/${c.patient.user.id}`).set(c.auth),
    },
    {
      route: 'GET /users/:id (a doctor)',
      allowed: ['doctor:related', 'doctor:unrelated', 'patient:related', Role.Admin],
      call: (c) => http().get(`/api/v1/users/${c.doctor.user.id}`).set(c.auth),
    },
    {
      route: 'GET /users/:id/profile',
      allowed: ['doctor:related'],
      call: (c) => http().get(`/api/v1/users/${c.patient.user.id}/profile`).set(c.auth),
    },
    {
      route: 'GET /users (finds the patient)',
      allowed: ['doctor:related', Role.Admin],
      call: async (c) => {
        const q = encodeURIComponent(c.patient.user.email);
        const res = await http().get(`/api/v1/users?q=${q}`).set(c.auth);
        if (res.status !== 200) return res;
        const found = (res.body as { items: { id: string }[] }).items.some(
          (u) => u.id === c.patient.user.id,
        );
        return { status: found ? 200 : 404 };
      },
    },
    {
      route: 'POST /calls (the counterpart)',
      allowed: BOTH_PARTIES,
      call: (c) =>
        http()
          .post('/api/v1/calls')
          .set(c.auth)
          .send({ calleeIds: [counterpart(c)], type: 'audio' }),
    },
    {
      route: 'POST /calls (a colleague doctor)',
      allowed: STAFF,
      call: async (c) =>
        http()
          .post('/api/v1/calls')
          .set(c.auth)
          .send({ calleeIds: [(await signIn(t, Role.Doctor)).user.id], type: 'audio' }),
    },
    {
      route: 'call:initiate (the counterpart)',
      allowed: BOTH_PARTIES,
      call: (c) => overSocket(c, 'call:initiate', { calleeIds: [counterpart(c)], type: 'audio' }),
    },
    {
      route: 'GET /ice-servers',
      allowed: [...STAFF, 'patient:related'],
      call: (c) => http().get('/api/v1/ice-servers').set(c.auth),
    },
    {
      route: 'GET /care-relationships (lists the relationship)',
      allowed: BOTH_PARTIES,
      call: async (c) => {
        const res = await http().get('/api/v1/care-relationships').set(c.auth);
        if (res.status !== 200) return res;
        const listed = (res.body as { items: { id: string }[] }).items.some(
          (r) => r.id === c.relationshipId,
        );
        return { status: listed ? 200 : 404 };
      },
    },
    {
      route: 'POST /care-relationships/:id/end',
      allowed: BOTH_PARTIES,
      call: (c) => http().post(`/api/v1/care-relationships/${c.relationshipId}/end`).set(c.auth),
    },
    {
      route: 'GET /rooms/:id (an invitation)',
      allowed: ['doctor:related', 'patient:related', Role.Admin],
      call: (c) => http().get(`/api/v1/rooms/${c.invitationRoomId}`).set(c.auth),
    },
    {
      route: 'POST /rooms/:id/accept',
      allowed: ['patient:related'],
      call: (c) => http().post(`/api/v1/rooms/${c.invitationRoomId}/accept`).set(c.auth),
    },
    {
      route: 'POST /rooms/:id/decline',
      allowed: ['patient:related'],
      call: (c) => http().post(`/api/v1/rooms/${c.invitationRoomId}/decline`).set(c.auth),
    },
    {
      route: 'room:join (an invitation not yet accepted)',
      allowed: ['doctor:related'],
      call: (c) => overSocket(c, 'room:join', { roomId: c.invitationRoomId }),
    },
  ];

  async function contextFor(caller: CareCaller): Promise<Ctx> {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const careRoomId = await inviteToRoom(t, doctor, [patient]);
    await acceptInvitation(t, patient, careRoomId);
    const [relationship] = await careRelationshipsOf(t, patient);
    const invitationRoomId = await inviteToRoom(t, doctor, [patient], { name: 'Follow-up' });
    const me =
      caller === 'anonymous'
        ? null
        : caller === 'doctor:related'
          ? doctor
          : caller === 'patient:related'
            ? patient
            : await signIn(
                t,
                caller === 'doctor:unrelated'
                  ? Role.Doctor
                  : caller === 'patient:unrelated'
                    ? Role.Patient
                    : caller,
              );
    return {
      caller,
      me,
      auth: me ? authHeader(me.accessToken) : {},
      doctor,
      patient,
      relationshipId: relationship.id,
      invitationRoomId,
    };
  }

  it.each(cases.map((c) => [c.route, c] as const))('%s', (_route, testCase) =>
    expectAccess(testCase, contextFor, [403, 404], CARE_CALLERS),
  );

  it('covers every route of care relationships and invitations', () => {
    const routes = routesOf(t.app, /^(CareController|RoomsController\.(accept|decline))/);
    expect(routes).toEqual([
      'GET /care-relationships',
      'POST /care-relationships/:id/end',
      'POST /rooms/:id/accept',
      'POST /rooms/:id/decline',
    ]);
    const covered = coveredRoutes(cases);
    for (const route of routes) expect(covered).toContain(route);
  });
});
