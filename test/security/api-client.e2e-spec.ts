import * as ts from 'typescript';
import { Role } from '../../src/common/auth/role';
import { generateApiTypes } from '../support/api-types';
import { authHeader, signIn, strongPassword, uniqueEmail } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

// One answer of the API, captured from a real request, and the operation it must match.
interface Captured {
  operationId: string;
  status: number;
  media: 'application/json' | 'application/problem+json';
  body: unknown;
  // The JSON body that was sent, checked against the operation's request schema.
  sent?: unknown;
}

// A client generated from /docs-json (openapi-typescript, test/support/api-types.ts) must compile against what the
// server really answers: each captured body is a literal that `satisfies` the generated type
// of its operation and status, so a missing, extra, mistyped or misnamed field in the API
// document fails here (docs/api.md, "Generating a client").
describe('security: a client generated from the API document compiles against real answers', () => {
  let t: TestApp;
  let generated: string;
  const captured: Captured[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    generated = await generateApiTypes((await t.http().get('/docs-json').expect(200)).body);

    const capture = async (
      operationId: string,
      status: number,
      request: Promise<{ status: number; body: unknown; headers: Record<string, string> }>,
      sent?: unknown,
    ): Promise<unknown> => {
      const res = await request;
      expect({ operationId, status: res.status }).toEqual({ operationId, status });
      const media = res.headers['content-type']?.startsWith('application/problem+json')
        ? 'application/problem+json'
        : 'application/json';
      captured.push({ operationId, status, media, body: res.body, sent });
      return res.body;
    };
    const http = () => t.http();

    // A patient registers and signs in through HTTP, as a client would.
    const patient = {
      email: uniqueEmail('patient'),
      password: strongPassword(),
      displayName: 'Ayşe Yılmaz',
    };
    await capture('registerUser', 201, http().post('/api/v1/auth/register').send(patient), patient);
    const credentials = { email: patient.email, password: patient.password };
    const pair = (await capture(
      'login',
      200,
      http().post('/api/v1/auth/login').send(credentials),
      credentials,
    )) as { accessToken: string; user: { id: string } };
    const asPatient = authHeader(pair.accessToken);
    await capture('listDeviceSessions', 200, http().get('/api/v1/auth/sessions').set(asPatient));
    await capture('getMe', 200, http().get('/api/v1/users/me').set(asPatient));
    await capture('getMyConsents', 200, http().get('/api/v1/consents/me').set(asPatient));
    const profile = { nationalId: '10000000146', dateOfBirth: '1990-04-23', phone: null };
    await capture(
      'replaceMyPatientProfile',
      200,
      http().put('/api/v1/users/me/profile').set(asPatient).send(profile),
      profile,
    );

    // A doctor opens a room and invites the patient.
    const doctor = await signIn(t, Role.Doctor);
    const asDoctor = authHeader(doctor.accessToken);
    const room = { name: 'Follow-up', type: 'consultation', memberIds: [pair.user.id] };
    const created = (await capture(
      'createRoom',
      201,
      http().post('/api/v1/rooms').set(asDoctor).send(room),
      room,
    )) as { id: string };
    await capture('listRooms', 200, http().get('/api/v1/rooms?limit=10').set(asDoctor));
    await capture('listRooms', 200, http().get('/api/v1/rooms').set(asPatient));
    await capture('getRoom', 200, http().get(`/api/v1/rooms/${created.id}`).set(asDoctor));
    await capture('listSessions', 200, http().get('/api/v1/sessions').set(asDoctor));
    await capture('listCalls', 200, http().get('/api/v1/calls').set(asDoctor));
    await capture('getAuditPublicKey', 200, http().get('/api/v1/audit/public-key'));

    // A consenting patient accepts an invitation, which makes a care relationship, and the
    // doctor rings them and hangs up before they answer.
    const consenting = await signIn(t, Role.Patient);
    const asConsenting = authHeader(consenting.accessToken);
    const careRoom = (await capture(
      'createRoom',
      201,
      http()
        .post('/api/v1/rooms')
        .set(asDoctor)
        .send({ name: 'Consultation', type: 'group', memberIds: [consenting.user.id] }),
    )) as { id: string };
    await capture(
      'acceptRoomInvitation',
      200,
      http().post(`/api/v1/rooms/${careRoom.id}/accept`).set(asConsenting),
    );
    await capture(
      'listCareRelationships',
      200,
      http().get('/api/v1/care-relationships').set(asDoctor),
    );
    const call = { calleeIds: [consenting.user.id], type: 'video' };
    const started = (await capture(
      'startCall',
      201,
      http().post('/api/v1/calls').set(asDoctor).send(call),
      call,
    )) as { call: { id: string } };
    await capture('getCall', 200, http().get(`/api/v1/calls/${started.call.id}`).set(asConsenting));
    await capture(
      'cancelCall',
      200,
      http().post(`/api/v1/calls/${started.call.id}/cancel`).set(asDoctor),
    );
    await capture('listCalls', 200, http().get('/api/v1/calls').set(asDoctor));

    // Error answers are the problem document.
    await capture('listRooms', 401, http().get('/api/v1/rooms'));
    await capture(
      'createRoom',
      400,
      http().post('/api/v1/rooms').set(asDoctor).send({ name: '', type: 'consultation' }),
    );

    // The data-subject answers whose value maps were untyped.
    await capture('exportMyData', 200, http().get('/api/v1/users/me/data-export').set(asPatient));
    const request = (await capture(
      'requestErasure',
      202,
      http().post('/api/v1/users/me/erasure-request').set(asPatient),
    )) as { id: string };
    const officer = await signIn(t, Role.ComplianceOfficer);
    await capture(
      'approveErasureRequest',
      200,
      http()
        .post(`/api/v1/compliance/erasure-requests/${request.id}/approve`)
        .set(authHeader(officer.accessToken)),
    );
  });
  afterAll(() => t.close());

  it('types every captured answer and request with the generated types', () => {
    const diagnostics = typeCheck({ 'api.ts': generated, 'client.ts': clientSource(captured) });
    expect(diagnostics).toEqual([]);
    expect(captured).toHaveLength(25);
  });

  it('fails to compile when an answer is checked against the wrong schema', () => {
    // The defect this test exists for: device sessions documented as consultation sessions.
    const sessions = captured.find((c) => c.operationId === 'listDeviceSessions')!;
    const wrong = [
      "import type { components } from './api';",
      `export const wrong = ${JSON.stringify(sessions.body)} satisfies components['schemas']['SessionListResponse'];`,
    ].join('\n');
    const diagnostics = typeCheck({ 'api.ts': generated, 'client.ts': wrong });
    expect(diagnostics).toEqual([
      expect.stringMatching(/client\.ts:2: Object literal may only specify known properties/),
    ]);
  });
});

// The typed client: a tiny helper a consumer would write over the generated types, and one
// `satisfies` check per captured answer and request.
function clientSource(answers: Captured[]): string {
  const lines = [
    "import type { operations } from './api';",
    '',
    'type Responses<Op extends keyof operations> = operations[Op]["responses"];',
    'type Answer<',
    '  Op extends keyof operations,',
    '  Status extends keyof Responses<Op>,',
    '  Media extends string,',
    '> = Responses<Op>[Status] extends { content: { [M in Media]: infer Body } } ? Body : never;',
    'type RequestBody<Op extends keyof operations> = operations[Op] extends {',
    '  requestBody?: { content: { "application/json": infer Body } };',
    '}',
    '  ? Body',
    '  : never;',
    '',
  ];
  answers.forEach((a, i) => {
    const op = JSON.stringify(a.operationId);
    lines.push(
      `export const answer${i} = ${JSON.stringify(a.body)} satisfies Answer<${op}, ${a.status}, ${JSON.stringify(a.media)}>;`,
    );
    if (a.sent !== undefined) {
      lines.push(`export const sent${i} = ${JSON.stringify(a.sent)} satisfies RequestBody<${op}>;`);
    }
  });
  return lines.join('\n');
}

// Type-checks in-memory files with the TypeScript compiler (strict), nothing written to disk.
function typeCheck(files: Record<string, string>): string[] {
  const root = '/api-client/';
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const inMemory = (name: string): string | undefined =>
    name.startsWith(root) ? files[name.slice(root.length)] : undefined;
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.getSourceFile = (name, language, ...rest) => {
    const text = inMemory(name);
    return text === undefined
      ? getSourceFile.call(host, name, language, ...rest)
      : ts.createSourceFile(name, text, language);
  };
  host.fileExists = (name) => inMemory(name) !== undefined || fileExists.call(host, name);
  host.readFile = (name) => inMemory(name) ?? readFile.call(host, name);
  host.directoryExists = (name) =>
    `${name}/` === root || (directoryExists?.call(host, name) ?? false);
  const program = ts.createProgram([`${root}client.ts`], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file && d.start !== undefined
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `
        : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}
