import type { EntityManager } from 'typeorm';
import { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { ConsentGate } from './consent-gate';
import { ConsentPurpose } from './consent-purpose';
import type { ConsentsRepository } from './consents.repository';

const m = {} as EntityManager;

// The repository as the gate sees it: one call, the check under the person's shared lock
// (ConsentsRepository.inForceOfCurrentText takes the lock and reads behind it).
function gate(grantVersion: number | null, currentVersion: number | null) {
  const locks: string[] = [];
  const repo = {
    inForceOfCurrentText: (userId: string, purpose: ConsentPurpose) => {
      locks.push(`${userId}:${purpose}:check`);
      return Promise.resolve(
        grantVersion !== null && currentVersion !== null && grantVersion === currentVersion,
      );
    },
  } as unknown as ConsentsRepository;
  return { gate: new ConsentGate(repo), locks };
}

async function code(p: Promise<void>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err instanceof AppException ? err.code : 'other';
  }
}

describe('ConsentGate', () => {
  const patient = { id: 'p1', role: Role.Patient };

  it('lets a patient with the current telemedicine consent through, under the shared lock', async () => {
    const { gate: g, locks } = gate(3, 3);
    expect(await code(g.assertMayConsult(patient, m))).toBeNull();
    expect(locks).toEqual([`p1:${ConsentPurpose.Telemedicine}:check`]);
  });

  it('refuses a patient with no consent, or one given for an older text', async () => {
    expect(await code(gate(null, 1).gate.assertMayConsult(patient, m))).toBe(
      ErrorCode.ConsentRequired,
    );
    expect(await code(gate(1, 2).gate.assertMayConsult(patient, m))).toBe(
      ErrorCode.ConsentRequired,
    );
    expect(await code(gate(1, null).gate.assertMayConsult(patient, m))).toBe(
      ErrorCode.ConsentRequired,
    );
  });

  it('does not gate doctors, admins or compliance officers', async () => {
    for (const role of [Role.Doctor, Role.Admin, Role.ComplianceOfficer]) {
      const { gate: g, locks } = gate(null, 1);
      expect(await code(g.assertMayConsult({ id: 'x', role }, m))).toBeNull();
      expect(locks).toEqual([]);
    }
  });

  it('is the check behind both ports: room join and call accept', async () => {
    const { gate: g } = gate(null, 1);
    expect(await code(g.assertMayJoin(patient, 'room', m))).toBe(ErrorCode.ConsentRequired);
    expect(await code(g.assertMayAccept({ ...patient, sessionId: 's' }, 'call', m))).toBe(
      ErrorCode.ConsentRequired,
    );
  });
});
