import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { CHART_DIR, renderChart } from '../support/helm';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The outbox alerts (docs/operations.md): a growing backlog and new dead letters fire, a
// backlog that drains and a relay without failures stay quiet.
describe('deploy: outbox alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-outbox-rules-'));
  const manifests = renderChart([join(CHART_DIR, 'ci', 'production-values.yaml')]);
  const rule = manifests.find((m) => m.kind === 'PrometheusRule') as Obj;
  // Every alert's runbook_url (this base plus its section) is checked with all the others in
  // prometheus-rules.e2e-spec.ts; the expected alerts below carry it too.
  const values = parse(
    readFileSync(join(CHART_DIR, 'ci', 'production-values.yaml'), 'utf8'),
  ) as Obj;
  const runbook = (values.metrics.prometheusRule.runbookBaseUrl as string) + '#';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fire on a growing backlog and on dead letters, not on a healthy relay', async () => {
    const l = 'job="hekim", namespace="hekim", pod="hekim-0"';
    const series = (name: string, labels: string, values: string) => ({
      series: `${name}{${l}, ${labels}}`,
      values,
    });
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // E-mail: the SMTP server is down; the backlog grows and ages a minute a minute.
            series('hekim_outbox_pending', 'channel="email"', '0+5x60'),
            series('hekim_outbox_oldest_pending_age_seconds', 'channel="email"', '0+60x60'),
            // Webhooks: a steady stream delivered within seconds.
            series('hekim_outbox_pending', 'channel="webhook"', '3x60'),
            series('hekim_outbox_oldest_pending_age_seconds', 'channel="webhook"', '2x60'),
            series('hekim_outbox_deliveries_total', 'channel="webhook", outcome="dead"', '0x60'),
            series('hekim_outbox_deliveries_total', 'channel="sms", outcome="dead"', '0x20 1x40'),
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'HekimOutboxBacklogGrowing', exp_alerts: [] },
            {
              eval_time: '40m',
              alertname: 'HekimOutboxBacklogGrowing',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', channel: 'email' },
                  exp_annotations: {
                    summary: 'email messages wait longer than 15 minutes and the backlog grows.',
                    runbook_url: `${runbook}hekimoutboxbackloggrowing`,
                  },
                },
              ],
            },
            { eval_time: '10m', alertname: 'HekimOutboxDeadLetters', exp_alerts: [] },
            {
              eval_time: '25m',
              alertname: 'HekimOutboxDeadLetters',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', channel: 'sms' },
                  exp_annotations: {
                    summary: 'sms messages were given up after every attempt (dead letters).',
                    runbook_url: `${runbook}hekimoutboxdeadletters`,
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    writeFileSync(join(dir, 'tests.yaml'), stringify(tests));
    const { stdout } = await promisify(execFile)('promtool', ['test', 'rules', 'tests.yaml'], {
      cwd: dir,
    }).catch((error: Obj) => {
      throw new Error(`promtool: ${error.stdout}${error.stderr}`, { cause: error });
    });
    expect(stdout).toContain('SUCCESS');
  });
});
