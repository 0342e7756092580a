import { readFile } from 'node:fs/promises';
import { appAndTwoPeople } from '../support/browser';
import { startCoturn, type Coturn } from '../support/coturn';
import { meetInConsultation } from '../support/demo-driver';

// Issue scenario 2: the consultation of scenario 1, relay-only (iceTransportPolicy 'relay'),
// through a coturn of the test's own on a free port with a random secret. The credentials
// are the ones Hekim issued in the room:join answer; coturn logs the allocations.
describe('browser: a relay-only consultation through coturn', () => {
  let turn: Coturn;
  beforeAll(async () => {
    turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
  });
  const on = appAndTwoPeople(() => ({
    TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`,
    TURN_SECRET: turn.secret,
  }));

  it('connects both sides through a TURN relay with the credentials Hekim issued', async () => {
    const { doctor, patient, readings } = await meetInConsultation(on.t, on.pages, {
      relay: true,
    });
    for (const reading of readings) {
      // The other side's relay address may show as prflx when its check beat its candidate.
      expect(reading.localCandidateType).toBe('relay');
      expect(['relay', 'prflx']).toContain(reading.remoteCandidateType);
    }

    // TURN REST usernames are `<expiry>:<userId>`: each side allocated with its own.
    const log = await readFile(turn.logFile, 'utf8');
    for (const user of [doctor, patient]) {
      expect(log).toMatch(new RegExp(`user <\\d+:${user.id}>.*ALLOCATE processed, success`));
    }
  });
});
