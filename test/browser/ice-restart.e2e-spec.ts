import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import { startCoturn, type Coturn } from '../support/coturn';
import { meetInConsultation, waitForMediaFlow, waitForVideo } from '../support/demo-driver';
import { TcpProxy } from '../support/tcp-proxy';

// Media after an ICE restart (docs/sdk.md, "ICE restart on failure with fresh credentials"),
// driven by a real failure rather than a call into the SDK: a relay-only consultation whose
// pages reach coturn over TURN/TCP through a loopback proxy the test owns. Cutting the proxy's
// connections ends both pages' TURN allocations, so their only candidate pairs die; the SDK
// sees the connection leave `connected` and restarts ICE on the same peer connection, which
// allocates again through the proxy (listening again at once), with the TURN credentials the
// server pushed meanwhile by `ice:servers`, and carries media again. No testing hook: the test
// watches the pages' WebSocket frames, their SDP, their event log and coturn's log.
describe('browser: media after an ICE restart', () => {
  let turn: Coturn;
  let proxy: TcpProxy;
  beforeAll(async () => {
    turn = await startCoturn();
    proxy = new TcpProxy('127.0.0.1', turn.port);
    await proxy.start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await turn?.stop();
  });
  const on = appAndTwoPeople(() => ({
    TURN_URLS: `turn:127.0.0.1:${proxy.port}?transport=tcp`,
    TURN_SECRET: turn.secret,
    // The shortest TTL: fresh credentials are pushed (`ice:servers`) 45 s after joining.
    TURN_TTL_SECONDS: '60',
  }));

  // The TURN usernames (`<expiry>:<userId>`) of the `ice:servers` pushes a page receives, read
  // off its signaling WebSocket's frames.
  function watchIceServers(page: Page): string[] {
    const usernames: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        const text = typeof payload === 'string' ? payload : payload.toString();
        const username = /"username":"(\d+:[^"]+)"/.exec(text)?.[1];
        if (text.includes('"ice:servers"') && username) usernames.push(username);
      }),
    );
    return usernames;
  }

  // The ICE username fragment of the page's current local description: a restart changes it.
  const localUfrag = (page: Page): Promise<string | undefined> =>
    page.evaluate<string | undefined>(
      `(window.hekimDemo.pc?.localDescription?.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1]`,
    );
  const eventLog = (page: Page): Promise<string> =>
    page.evaluate<string>(`document.querySelector('[data-testid="event-log"]').textContent`);
  // Whether coturn allocated a relay for this TURN username (`<expiry>:<userId>`).
  const allocated = async (username: string): Promise<boolean> =>
    new RegExp(`user <${username}>.*ALLOCATE processed, success`).test(
      await readFile(turn.logFile, 'utf8'),
    );

  it('restarts ICE on the same peer connection after the relay path breaks, with the pushed credentials, and media flows again both ways', async () => {
    const pages = [on.pages.doctor, on.pages.patient];
    const pushed = pages.map(watchIceServers);
    const { readings } = await meetInConsultation(on.t, on.pages, { relay: true });
    for (const reading of readings) expect(reading.localCandidateType).toBe('relay');

    // Fresh TURN credentials reach both pages while the call goes on; nothing allocates with
    // them yet (a new configuration is for later allocations and restarts).
    await pollUntil(
      'an ice:servers push to both pages',
      () => Promise.resolve(pushed.map((p) => p.length)),
      (counts) => counts.every((n) => n >= 1),
      70_000,
    );
    const fresh = pushed.map((p) => p[p.length - 1]);
    for (const username of fresh) expect(await allocated(username)).toBe(false);
    await Promise.all([
      waitForMediaFlow(on.pages.doctor, 'the doctor'),
      waitForMediaFlow(on.pages.patient, 'the patient'),
    ]);
    for (const page of pages) await page.evaluate('window.__pcBefore = window.hekimDemo.pc');
    const ufragsBefore = await Promise.all(pages.map(localUfrag));
    expect(ufragsBefore.every(Boolean)).toBe(true);
    for (const page of pages) expect(await eventLog(page)).not.toMatch(/restarting ICE/);

    // The media path breaks: every TURN/TCP connection is cut. The proxy listens again at
    // once, so the restart the SDK makes can allocate anew; the old allocations are gone.
    await proxy.stop();
    await proxy.start();

    // The SDK's own path: its log on at least one page says it restarted ICE (`failed` at
    // once, `disconnected` after its 3 s grace), and both sides end up on new ICE credentials.
    await pollUntil(
      'the SDK to restart ICE on one side',
      () => Promise.all(pages.map(eventLog)),
      (l) => l.some((text) => /restarting ICE \((failed|disconnected)\)/.test(text)),
      30_000,
    );
    await pollUntil(
      'new ICE credentials on both sides',
      () => Promise.all(pages.map(localUfrag)),
      (ufrags) => ufrags.every((u, i) => u !== undefined && u !== ufragsBefore[i]),
    );

    // Same peer connection, connected again through relays allocated with the credentials
    // pushed by `ice:servers`, and audio and video flowing again both ways.
    const after = await Promise.all([
      waitForVideo(on.pages.doctor, 'the doctor, after the restart'),
      waitForVideo(on.pages.patient, 'the patient, after the restart'),
    ]);
    for (const reading of after) expect(reading.localCandidateType).toBe('relay');
    for (const page of pages)
      expect(await page.evaluate('window.hekimDemo.pc === window.__pcBefore')).toBe(true);
    for (const username of fresh) expect(await allocated(username)).toBe(true);
    await Promise.all([
      waitForMediaFlow(on.pages.doctor, 'the doctor, after the restart'),
      waitForMediaFlow(on.pages.patient, 'the patient, after the restart'),
    ]);
  }, 180_000);
});
