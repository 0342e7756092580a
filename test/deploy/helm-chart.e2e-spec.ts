import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { CHART_DIR, coalescedValues, type Manifest, renderChart, ROOT } from '../support/helm';
import { kubernetesSchemaErrors, kubernetesUnknownFieldErrors } from '../support/k8s-validate';

// No helm binary exists here: the chart is rendered by test/support/helm-render (Helm's own
// template engine building blocks, compiled from Debian's Go packages), every manifest is
// validated against the Kubernetes OpenAPI schemas, and the values against values.schema.json.
const PRODUCTION = join(CHART_DIR, 'ci', 'production-values.yaml');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function find(manifests: Manifest[], kind: string, name: string): Obj {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind}/${name} rendered`);
  return m;
}

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as object;
const validateValues = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('deploy: Helm chart helm/hekim', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-helm-'));
  const valuesFile = (name: string, content: string): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each([
    ['default values', [] as string[]],
    ['production-like values', [PRODUCTION]],
  ])('with %s', (_label, files) => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = renderChart(files);
    });

    it('passes values.schema.json', () => {
      const ok = validateValues(coalescedValues(files));
      expect(validateValues.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });

    it('renders only manifests that the Kubernetes OpenAPI schemas accept', () => {
      expect(manifests.length).toBeGreaterThanOrEqual(9);
      expect(manifests.flatMap(kubernetesSchemaErrors)).toEqual([]);
    });

    it('runs Hekim non-root on a read-only root filesystem, with probes and a drain window', () => {
      const pod = find(manifests, 'Deployment', 'hekim').spec.template.spec;
      const [c] = pod.containers;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.command).toBeUndefined(); // the image's ENTRYPOINT/CMD, as tested
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
      const env = Object.fromEntries(
        (c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]),
      );
      expect(env).toMatchObject({
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        PORT: '3000',
        DATABASE_MIGRATIONS_RUN: 'false',
        JWT_SECRET: 'JWT_SECRET',
        TURN_SECRET: 'TURN_SECRET',
        AUDIT_SIGNING_KEY: 'AUDIT_SIGNING_KEY',
        DATA_ENCRYPTION_KEY: 'DATA_ENCRYPTION_KEY',
        PATIENT_DATA_MASTER_KEY: 'PATIENT_DATA_MASTER_KEY',
        PATIENT_DATA_INDEX_KEY: 'PATIENT_DATA_INDEX_KEY',
        DATABASE_URL: 'DATABASE_URL',
        REDIS_URL: 'REDIS_URL',
      });
      const grace = pod.terminationGracePeriodSeconds as number;
      const preStop = Number(c.lifecycle.preStop.exec.command[1]);
      expect(grace).toBeGreaterThanOrEqual(
        preStop + Number(env.SHUTDOWN_DRAIN_DELAY_SECONDS) + Number(env.SHUTDOWN_TIMEOUT_SECONDS),
      );
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    });

    it('migrates in a pre-install/pre-upgrade hook Job that needs only DATABASE_URL', () => {
      const job = manifests.find((m) => m.kind === 'Job') as Obj;
      expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const [c] = job.spec.template.spec.containers;
      expect(c.command).toEqual(['/usr/bin/tini', '--', 'node', 'dist/src/migrate.js']);
      expect((c.env as Obj[]).map((e): unknown => e.name)).toEqual(['NODE_ENV', 'DATABASE_URL']);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    it('exposes WebSocket-ready ingress, HPA, PDB, ServiceAccount and a NetworkPolicy', () => {
      const ingress = find(manifests, 'Ingress', 'hekim');
      expect(
        Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
      ).toBeGreaterThanOrEqual(3600);
      expect(find(manifests, 'HorizontalPodAutoscaler', 'hekim').spec.minReplicas).toBeGreaterThan(
        1,
      );
      expect(find(manifests, 'PodDisruptionBudget', 'hekim').spec.maxUnavailable).toBe(1);
      expect(find(manifests, 'ServiceAccount', 'hekim').automountServiceAccountToken).toBe(false);
      const np = find(manifests, 'NetworkPolicy', 'hekim').spec;
      expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(np.ingress).toHaveLength(1);
      expect((np.egress as Obj[]).map((e): unknown => e.ports[0].port)).toEqual(
        expect.arrayContaining([5432, 6379, 53]),
      );
    });
  });

  it('wires coturn, Prometheus and Grafana in the production-like configuration', () => {
    const manifests = renderChart([PRODUCTION]);
    const conf = find(manifests, 'ConfigMap', 'hekim-coturn').data['turnserver.conf'] as string;
    for (const line of [
      'use-auth-secret',
      'tls-listening-port=5349',
      'cert=/etc/coturn/tls/tls.crt',
      'min-port=61000',
      'max-port=65535',
      'fingerprint',
      'stale-nonce=600',
      'no-multicast-peers',
      'no-cli',
      'user-quota=12',
      'total-quota=1200',
      'denied-peer-ip=127.0.0.0-127.255.255.255',
      'denied-peer-ip=10.0.0.0-10.255.255.255',
      'denied-peer-ip=172.16.0.0-172.31.255.255',
      'denied-peer-ip=192.168.0.0-192.168.255.255',
      'denied-peer-ip=169.254.0.0-169.254.255.255',
      'denied-peer-ip=100.64.0.0-100.127.255.255',
      'denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'denied-peer-ip=::1',
      'denied-peer-ip=100.96.0.0-100.127.255.255',
      'denied-peer-ip=100.64.0.0-100.95.255.255',
    ]) {
      expect(conf.split('\n')).toContain(line);
    }
    expect(conf).not.toMatch(/allow-loopback-peers|static-auth-secret=/);

    const coturn = find(manifests, 'Deployment', 'hekim-coturn').spec.template.spec;
    expect(coturn.hostNetwork).toBe(true);
    expect(coturn.containers[0].image).toMatch(/^coturn\/coturn:4\.(7|[89]|\d\d)/);
    expect(coturn.containers[0].args).toContain('--static-auth-secret=$(TURN_SECRET)');
    expect(coturn.containers[0].env[0].valueFrom.secretKeyRef).toEqual({
      name: 'hekim-production',
      key: 'TURN_SECRET',
    });

    const hekimEnv = find(manifests, 'Deployment', 'hekim').spec.template.spec.containers[0]
      .env as Obj[];
    expect(hekimEnv.find((e) => e.name === 'TURN_URLS')?.value).toBe(
      'turn:turn.hospital.example:3478?transport=udp,turn:turn.hospital.example:3478?transport=tcp,turns:turn.hospital.example:5349?transport=tcp',
    );
    const ingress = find(manifests, 'Ingress', 'hekim');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');

    const rules = find(manifests, 'PrometheusRule', 'hekim').spec.groups.flatMap(
      (g: Obj): Obj[] => g.rules as Obj[],
    ) as Obj[];
    const alerts = rules.map((r) => r.alert as string);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'HekimDown',
        'HekimNotReady',
        'HekimHighErrorRate',
        'HekimCallFailureRatio',
        'HekimAuditWriteFailures',
        'HekimDatabaseUnavailable',
        'HekimRedisUnavailable',
        'CoturnDown',
      ]),
    );
    // 80% of coturn's total-quota (1200).
    expect(rules.find((r) => r.alert === 'CoturnAllocationsNearQuota')?.expr).toMatch(/> 960\s*$/);
    // Every alert has its runbook section in docs/operations.md.
    const runbook = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const alert of alerts) expect(runbook).toContain(`### ${alert}`);

    expect(find(manifests, 'ServiceMonitor', 'hekim').spec.endpoints[0].path).toBe('/metrics');
    const dashboardMap = find(manifests, 'ConfigMap', 'hekim-dashboard');
    expect(dashboardMap.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(dashboardMap.data['hekim.json'] as string) as Obj;
    const exprs = JSON.stringify(dashboard.panels);
    for (const metric of [
      'hekim_calls_active',
      'hekim_sessions_active',
      'hekim_signaling_sockets',
      'http_request_duration_seconds_bucket',
      'hekim_call_rtt_seconds',
      'hekim_call_packet_loss_ratio',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('exposes coturn through a LoadBalancer when asked, listing each relay port', () => {
    const file = valuesFile(
      'lb.yaml',
      'coturn:\n  enabled: true\n  networkMode: loadBalancer\n  publicHost: turn.example.org\n  ports:\n    minRelay: 61000\n    maxRelay: 61009\n',
    );
    const manifests = renderChart([file]);
    expect(manifests.flatMap(kubernetesSchemaErrors)).toEqual([]);
    const svc = find(manifests, 'Service', 'hekim-coturn').spec;
    expect(svc.type).toBe('LoadBalancer');
    expect(svc.ports.filter((p: Obj) => String(p.name).startsWith('relay-'))).toHaveLength(10);
    expect(find(manifests, 'Deployment', 'hekim-coturn').spec.template.spec.hostNetwork).toBe(
      undefined,
    );
    // In the pod network, coturn may relay only to public addresses.
    const np = find(manifests, 'NetworkPolicy', 'hekim-coturn').spec;
    expect(np.ingress[0].ports).toContainEqual({ port: 61000, endPort: 61009, protocol: 'UDP' });
    expect(np.egress[0].to[0].ipBlock.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10', '172.16.0.0/12']),
    );
  });

  it('renders no field the Kubernetes API types do not know (strict validation)', () => {
    const lb = valuesFile(
      'lb-strict.yaml',
      'coturn:\n  enabled: true\n  networkMode: loadBalancer\n  publicHost: turn.example.org\n  ports:\n    minRelay: 61000\n    maxRelay: 61001\n',
    );
    const inline = valuesFile(
      'inline-strict.yaml',
      [
        'secrets:',
        '  create: true',
        '  databaseUrl: postgres://hekim@db:5432/hekim',
        '  redisUrl: redis://redis:6379',
        `  jwtSecret: ${'j'.repeat(40)}`,
        `  turnSecret: ${'t'.repeat(40)}`,
        '  auditSigningKey: a2V5',
        '  dataEncryptionKey: a2V5',
        `  patientDataMasterKey: pk-1:${Buffer.alloc(32, 1).toString('base64')}`,
        '  patientDataIndexKey: a2V5',
        '  adminEmail: admin@example.org',
        '  adminPassword: correct-horse-battery',
        '  metricsToken: m',
      ].join('\n'),
    );
    const all = [[], [PRODUCTION], [lb], [inline]].flatMap((files) => renderChart(files));
    expect(all.some((m) => m.kind === 'Secret')).toBe(true);
    expect(kubernetesUnknownFieldErrors(all)).toEqual([]);
    // The check itself catches a misplaced field.
    const broken = structuredClone(all.find((m) => m.kind === 'Deployment')) as Obj;
    broken.spec.template.spec.containers[0].readOnlyRootFilesystem = true;
    expect(kubernetesUnknownFieldErrors([broken as Manifest]).join()).toContain(
      'readOnlyRootFilesystem',
    );
  });

  it('creates the Secret as an early hook only when asked, and never renders without secrets', () => {
    const file = valuesFile('inline.yaml', 'secrets:\n  create: true\n  jwtSecret: ""\n');
    expect(() => renderChart([file])).toThrow(/secrets\.databaseUrl is required/);
    expect(validateValues(coalescedValues([file]))).toBe(false);
    const none = valuesFile('none.yaml', 'secrets:\n  existingSecret: ""\n');
    expect(() => renderChart([none])).toThrow(/secrets\.existingSecret is required/);
  });

  it('rejects a grace period shorter than the drain and unknown values', () => {
    const short = valuesFile('short.yaml', 'shutdown:\n  terminationGracePeriodSeconds: 10\n');
    expect(() => renderChart([short])).toThrow(/terminationGracePeriodSeconds must be at least/);
    const typo = valuesFile('typo.yaml', 'ingres:\n  enabled: false\n');
    expect(validateValues(coalescedValues([typo]))).toBe(false);
  });
});
