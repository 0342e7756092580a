import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CHART_DIR, renderChart } from '../support/helm';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Rule = { alert: string; annotations: Record<string, string> };

// The rendered PrometheusRule is checked by promtool (PromQL syntax, rule structure) and its
// alerts are unit-tested on synthetic series: each fires on the failure it names, and not on
// a healthy system.
describe('deploy: Prometheus alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-rules-'));
  const manifests = renderChart([join(CHART_DIR, 'ci', 'production-values.yaml')]);
  const rule = manifests.find((m) => m.kind === 'PrometheusRule') as Obj;
  const rules = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Rule[]);
  const promtool = (...args: string[]) =>
    promisify(execFile)('promtool', args, { cwd: dir }).catch((error: Obj) => {
      throw new Error(`promtool ${args[0]} ${args[1]}: ${error.stdout}${error.stderr}`, {
        cause: error,
      });
    });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // What an alert's annotations render to when its $value is 0.5.
  const annotationsOf = (alert: string): Record<string, string> => {
    const found = rules.find((r) => r.alert === alert);
    if (!found) throw new Error(`no alert ${alert}`);
    return Object.fromEntries(
      Object.entries(found.annotations).map(([k, v]) => [
        k,
        v.replace('{{ $value | humanizePercentage }}', '50%'),
      ]),
    );
  };
  const fires = (alert: string, labels: Record<string, string>) => ({
    alertname: alert,
    exp_alerts: [{ exp_labels: labels, exp_annotations: annotationsOf(alert) }],
  });
  const quiet = (alert: string) => ({ alertname: alert, exp_alerts: [] });

  it('passes promtool check rules', async () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const { stdout } = await promtool('check', 'rules', 'rules.yaml');
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('fires each alert on its failure and stays quiet when healthy', async () => {
    const l = 'job="hekim", namespace="hekim", pod="hekim-0"';
    const http = (status: string) =>
      `http_request_duration_seconds_count{${l}, method="GET", route="/api/v1/rooms", status="${status}"}`;
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `up{${l}}`, values: '1x40' },
            { series: `hekim_dependency_up{${l}, dependency="database"}`, values: '1 1 0x38' },
            { series: `hekim_dependency_up{${l}, dependency="redis"}`, values: '1x40' },
            { series: `hekim_audit_write_failures_total{${l}}`, values: '0x5 1x35' },
            { series: http('200'), values: '0+60x40' },
            { series: http('500'), values: '0+60x40' },
            { series: `hekim_calls_total{${l}, status="ended", type="video"}`, values: '0+6x40' },
            { series: `hekim_calls_total{${l}, status="missed", type="video"}`, values: '0+6x40' },
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
            { ...quiet('HekimHighErrorRate'), eval_time: '5m' },
            { ...fires('HekimHighErrorRate', { severity: 'critical' }), eval_time: '20m' },
            { ...fires('HekimCallFailureRatio', { severity: 'warning' }), eval_time: '30m' },
            { ...quiet('HekimDown'), eval_time: '30m' },
            { ...quiet('CoturnDown'), eval_time: '30m' },
          ].map((t) => ({ eval_time: '1m', ...t })),
        },
        {
          // Nothing scrapes: both the app and coturn are down.
          interval: '1m',
          input_series: [{ series: 'up{job="other", namespace="hekim"}', values: '1x10' }],
          alert_rule_test: [
            {
              eval_time: '5m',
              ...fires('HekimDown', { severity: 'critical' }),
            },
            {
              eval_time: '5m',
              ...fires('CoturnDown', { severity: 'critical' }),
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    writeFileSync(join(dir, 'tests.yaml'), stringify(tests));
    const { stdout } = await promtool('test', 'rules', 'tests.yaml');
    expect(stdout).toContain('SUCCESS');
  });
});
