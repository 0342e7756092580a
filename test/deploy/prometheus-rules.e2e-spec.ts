import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parse, stringify } from 'yaml';
import { Role } from '../../src/common/auth/role';
import { CallsService } from '../../src/modules/calls/calls.service';
import { authHeader, signIn } from '../support/auth';
import { careRoom } from '../support/care';
import { CHART_DIR, renderChart, ROOT } from '../support/helm';
import { connect, type Client, refusal, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Rule = { alert: string; expr: string; annotations: Record<string, string> };
type Series = { name: string; labels: Record<string, string> };

// Series that come from elsewhere than Hekim: Prometheus itself, kube-state-metrics, coturn.
const EXTERNAL = new Set([
  'up',
  'kube_deployment_status_replicas_available',
  'kube_deployment_spec_replicas',
  'turn_total_allocations',
]);
// Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels).
const TARGET_LABELS = new Set(['job', 'namespace', 'pod', 'instance']);

// Every metric the PrometheusRule and the Grafana dashboard use must be one the running app
// exports, with the labels they select on: a real instance logs users in (and fails one),
// fails an audit write, rings, answers, reports quality of and misses calls, and hands out
// TURN credentials; its /metrics scrape is checked against every expression, linted by
// `promtool check metrics`, and the alerts' promtool unit tests are fed from the series it
// really exported (names and label sets), not from made-up ones.
describe('deploy: Prometheus alerts and dashboard against a real scrape', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-rules-'));
  const manifests = renderChart([join(CHART_DIR, 'ci', 'production-values.yaml')]);
  const rule = manifests.find((m) => m.kind === 'PrometheusRule') as Obj;
  const rules = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Rule[]);
  const dashboard = JSON.parse(
    readFileSync(join(CHART_DIR, 'dashboards', 'hekim.json'), 'utf8'),
  ) as Obj;
  const panelExprs = (dashboard.panels as Obj[]).flatMap((p) =>
    ((p.targets ?? []) as Obj[]).map((t) => String(t.expr)),
  );
  const promtool = (args: string[], input?: string) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = execFile('promtool', args, { cwd: dir }, (error, stdout, stderr) =>
        error
          ? reject(new Error(`promtool ${args.join(' ')}: ${stdout}${stderr}`, { cause: error }))
          : resolve({ stdout, stderr }),
      );
      child.stdin?.end(input ?? '');
    });

  let t: TestApp;
  const sockets: Client[] = [];
  let scrape = '';
  let series: Series[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { TURN_URLS: 'turn:turn.example.test:3478?transport=udp' },
    });
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);

    // A refused login, then one whose audit record PostgreSQL refuses: the login fails (500)
    // because its record could not be written.
    const badLogin = () =>
      t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: doctor.user.email, password: 'Wrong-1234' });
    expect((await badLogin()).status).toBe(401);
    const db = t.app.get(DataSource);
    await db.query(`
      CREATE FUNCTION refuse_login_records() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.action = 'auth.login' AND NEW.outcome = 'failure' THEN
          RAISE EXCEPTION 'audit storage refused the record';
        END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER refuse_login_records BEFORE INSERT ON audit_events
      FOR EACH ROW EXECUTE FUNCTION refuse_login_records()`);
    expect((await badLogin()).status).toBe(500);
    await db.query('DROP TRIGGER refuse_login_records ON audit_events');

    // TURN credentials over REST.
    const ice = await t.http().get('/api/v1/ice-servers').set(authHeader(doctor.accessToken));
    expect(ice.status).toBe(200);

    // A call answered, reported on and ended; one that rings out (the sweep every instance
    // runs, at a time past its deadline).
    const start = async () => {
      const res = await t
        .http()
        .post('/api/v1/calls')
        .set(authHeader(doctor.accessToken))
        .send({ calleeIds: [patient.user.id], type: 'video' });
      expect(res.status).toBe(201);
      return (res.body as { call: { id: string } }).call.id;
    };
    const caller = await connect(t, { token: doctor.accessToken });
    const phone = await connect(t, { token: patient.accessToken });
    sockets.push(caller, phone);
    expect(await refusal(t, { token: 'not-a-token' })).not.toBe('CONNECTED');
    const answered = await start();
    const act = (id: string, action: string, who = patient) =>
      t.http().post(`/api/v1/calls/${id}/${action}`).set(authHeader(who.accessToken));
    const accepted = await request(phone, 'call:accept', { callId: answered });
    expect(accepted.ok).toBe(true);
    const roomId = accepted.data?.roomId;
    const offer = {
      roomId,
      to: patient.user.id,
      sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n',
    };
    expect((await request(caller, 'call:offer', offer)).ok).toBe(true);
    const stats = { callId: answered, rttMs: 40, jitterMs: 5, packetLossPct: 1, bitrateKbps: 900 };
    expect((await request(caller, 'call:stats', stats)).ok).toBe(true);
    expect((await act(answered, 'end')).status).toBe(200);
    const unanswered = await start();
    await t.app.get(CallsService).expireRinging(new Date(Date.now() + 3_600_000));
    const missed = await t
      .http()
      .get(`/api/v1/calls/${unanswered}`)
      .set(authHeader(doctor.accessToken));
    expect(missed.body).toMatchObject({ call: { status: 'missed' } });

    // The kubelet's readiness probe, which sets hekim_dependency_up.
    expect((await t.http().get('/health/ready')).status).toBe(200);
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    scrape = res.text;
    series = parseExposition(scrape);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const value = (name: string, labels: Record<string, string> = {}): number | undefined => {
    const line = scrape
      .split('\n')
      .find(
        (l) =>
          l.startsWith(`${name}${Object.keys(labels).length ? '{' : ' '}`) &&
          Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
      );
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  it('counts what the instance did', () => {
    expect(value('hekim_auth_logins_total', { outcome: 'success' })).toBe(2);
    expect(value('hekim_auth_logins_total', { outcome: 'invalid_credentials' })).toBe(1);
    expect(value('hekim_audit_write_failures_total')).toBe(1);
    expect(value('hekim_audit_records_total', { outcome: 'success' })).toBeGreaterThan(3);
    expect(value('hekim_audit_records_total', { outcome: 'failure' })).toBeGreaterThanOrEqual(1);
    expect(value('hekim_turn_credentials_issued_total')).toBeGreaterThanOrEqual(1);
    expect(
      value('hekim_calls_total', { status: 'ended', end_reason: 'completed', type: 'video' }),
    ).toBe(1);
    expect(value('hekim_calls_total', { status: 'missed', end_reason: 'missed' })).toBe(1);
    expect(value('hekim_call_rtt_seconds_sum')).toBeCloseTo(0.04);
    expect(value('hekim_call_packet_loss_ratio_sum')).toBeCloseTo(0.01);
    expect(value('hekim_call_bitrate_bytes_per_second_sum')).toBe(112_500); // 900 kbit/s
  });

  it('exports every series the alerts and the dashboard use, with the labels they select on', () => {
    const exported = new Map<string, Set<string>>();
    for (const s of series) {
      const labels = exported.get(s.name) ?? new Set<string>();
      for (const l of Object.keys(s.labels)) labels.add(l);
      exported.set(s.name, labels);
    }
    const problems: string[] = [];
    const used = new Set<string>();
    for (const expr of [...rules.map((r) => r.expr), ...panelExprs]) {
      const selectors = [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)];
      expect(selectors.length).toBeGreaterThan(0);
      const inExpr = new Set<string>();
      for (const [, name, matchers] of selectors) {
        used.add(name);
        if (EXTERNAL.has(name)) continue;
        const labels = exported.get(name);
        if (!labels) {
          problems.push(`${name} is not exported (${expr})`);
          continue;
        }
        for (const l of labels) inExpr.add(l);
        for (const [, label] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
          if (!TARGET_LABELS.has(label) && !labels.has(label))
            problems.push(`${name} has no label ${label} (${expr})`);
        }
      }
      for (const [, by] of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of by.split(',').map((l) => l.trim())) {
          const external = selectors.some(([, n]) => EXTERNAL.has(n));
          if (!TARGET_LABELS.has(label) && label !== 'le' && !external && !inExpr.has(label))
            problems.push(`no series of "${expr}" has a label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // The metrics the issue of dead alerts was about are among them.
    expect([...used]).toEqual(
      expect.arrayContaining([
        'hekim_auth_logins_total',
        'hekim_audit_write_failures_total',
        'hekim_audit_records_total',
        'hekim_turn_credentials_issued_total',
        'hekim_calls_total',
        'hekim_siem_backlog_seconds',
      ]),
    );
    expect([...used].filter((n) => !exported.has(n)).sort()).toEqual([...EXTERNAL].sort());
  });

  it('passes promtool check metrics on the scrape', async () => {
    const { stdout, stderr } = await promtool(['check', 'metrics'], scrape);
    expect(`${stdout}${stderr}`).toBe('');
  });

  it('gives every alert a runbook_url at its section in docs/operations.md', () => {
    const runbook = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map(([, h]) =>
        h
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s/g, '-'),
      ),
    );
    const values = parse(
      readFileSync(join(CHART_DIR, 'ci', 'production-values.yaml'), 'utf8'),
    ) as Obj;
    const base = values.metrics.prometheusRule.runbookBaseUrl as string;
    expect(base).toMatch(/^https:\/\//);
    for (const r of rules) {
      expect({ alert: r.alert, url: r.annotations.runbook_url }).toEqual({
        alert: r.alert,
        url: `${base}#${r.alert.toLowerCase()}`,
      });
      expect(anchors).toContain(r.alert.toLowerCase());
    }
  });

  it('passes promtool check rules', async () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const { stdout } = await promtool(['check', 'rules', 'rules.yaml']);
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  // What an alert's annotations render to when its $value is 0.5.
  const annotationsOf = (alert: string): Record<string, string> => {
    const found = rules.find((r) => r.alert === alert);
    if (!found) throw new Error(`no alert ${alert}`);
    return Object.fromEntries(
      Object.entries(found.annotations).map(([k, v]) => [
        k,
        v
          .replace('{{ $value | humanizePercentage }}', '50%')
          .replace('{{ $labels.kind }}', 'break_glass'),
      ]),
    );
  };
  const fires = (alert: string, labels: Record<string, string>) => ({
    alertname: alert,
    exp_alerts: [{ exp_labels: labels, exp_annotations: annotationsOf(alert) }],
  });
  const quiet = (alert: string) => ({ alertname: alert, exp_alerts: [] });

  it('fires each alert on its failure and stays quiet when healthy, on the scraped series', async () => {
    const target = { job: 'hekim', namespace: 'hekim', pod: 'hekim-0' };
    // A series exactly as scraped (its name and labels), as Prometheus stores it.
    const scraped = (name: string, labels: Record<string, string> = {}): string => {
      const found = series.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      if (!found) throw new Error(`not scraped: ${name} ${JSON.stringify(labels)}`);
      const all = { ...found.labels, ...target };
      return `${name}{${Object.entries(all)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`;
    };
    const http = (status: string) =>
      scraped('http_request_duration_seconds_count', { route: '/api/v1/auth/login', status });
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `up{job="hekim", namespace="hekim", pod="hekim-0"}`, values: '1x40' },
            {
              series: scraped('hekim_dependency_up', { dependency: 'database' }),
              values: '1 1 0x38',
            },
            { series: scraped('hekim_dependency_up', { dependency: 'redis' }), values: '1x40' },
            { series: scraped('hekim_audit_write_failures_total'), values: '0x5 1x35' },
            {
              series: scraped('hekim_compliance_alerts_total', { kind: 'break_glass' }),
              values: '0x5 1x35',
            },
            {
              series: scraped('hekim_compliance_alerts_total', { kind: 'record_reads' }),
              values: '0x40',
            },
            // The collector stops confirming at minute 4: the oldest record waits ever longer.
            {
              series: scraped('hekim_siem_backlog_seconds'),
              values: '0x3 60+60x36',
            },
            { series: http('200'), values: '0+60x40' },
            { series: http('500'), values: '0+60x40' },
            {
              series: scraped('hekim_calls_total', { end_reason: 'completed' }),
              values: '0+6x40',
            },
            { series: scraped('hekim_calls_total', { end_reason: 'missed' }), values: '0+6x40' },
            {
              series: scraped('hekim_auth_logins_total', { outcome: 'invalid_credentials' }),
              values: '0+300x40',
            },
            {
              series: 'up{job="hekim-coturn-metrics", namespace="hekim", pod="coturn-0"}',
              values: '1x40',
            },
          ],
          alert_rule_test: [
            quiet('HekimDatabaseUnavailable'),
            { ...quiet('HekimDatabaseUnavailable'), eval_time: '3m' },
            { ...fires('HekimDatabaseUnavailable', { severity: 'critical' }), eval_time: '5m' },
            { ...quiet('HekimRedisUnavailable'), eval_time: '30m' },
            { ...quiet('HekimAuditWriteFailures'), eval_time: '4m' },
            { ...fires('HekimAuditWriteFailures', { severity: 'critical' }), eval_time: '7m' },
            { ...quiet('HekimComplianceAlert'), eval_time: '4m' },
            {
              ...fires('HekimComplianceAlert', { severity: 'warning', kind: 'break_glass' }),
              eval_time: '7m',
            },
            { ...quiet('HekimSiemBacklog'), eval_time: '15m' },
            { ...fires('HekimSiemBacklog', { severity: 'warning' }), eval_time: '20m' },
            { ...quiet('HekimHighErrorRate'), eval_time: '5m' },
            { ...fires('HekimHighErrorRate', { severity: 'critical' }), eval_time: '20m' },
            { ...fires('HekimCallFailureRatio', { severity: 'warning' }), eval_time: '30m' },
            { ...quiet('HekimLoginFailureSpike'), eval_time: '5m' },
            { ...fires('HekimLoginFailureSpike', { severity: 'warning' }), eval_time: '20m' },
            { ...quiet('HekimDown'), eval_time: '30m' },
            { ...quiet('CoturnDown'), eval_time: '30m' },
          ].map((x) => ({ eval_time: '1m', ...x })),
        },
        {
          // Nothing scrapes: both the app and coturn are down.
          interval: '1m',
          input_series: [{ series: 'up{job="other", namespace="hekim"}', values: '1x10' }],
          alert_rule_test: [
            { eval_time: '5m', ...fires('HekimDown', { severity: 'critical' }) },
            { eval_time: '5m', ...fires('CoturnDown', { severity: 'critical' }) },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    writeFileSync(join(dir, 'tests.yaml'), stringify(tests));
    const { stdout } = await promtool(['test', 'rules', 'tests.yaml']);
    expect(stdout).toContain('SUCCESS');
  });
});

// The series of a Prometheus text exposition: name and labels of each sample line.
function parseExposition(text: string): Series[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(l);
      if (!m) throw new Error(`unparsable sample: ${l}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]),
      );
      return { name: m[1], labels };
    });
}
