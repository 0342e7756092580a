import type { PersonalDataContributor } from '../../../common/personal-data/personal-data.contributor';
import { Processor } from '../../../common/personal-data/processing';

// Where a provider kind sends data, as configured now.
export interface ConfiguredProcessor {
  processor: Processor;
  hosts: string[];
  // ISO 3166 country, null when the operator did not declare it (PROCESSOR_COUNTRIES).
  country: string | null;
  // Outside PROCESSING_HOME_COUNTRY: true, false, or null when the country is not known.
  transferAbroad: boolean | null;
}

export interface ProcessingActivity {
  section: string;
  tables: string[];
  dataCategories: string[];
  dataSubjects: string[];
  purposes: string[];
  legalBases: string[];
  retention: string;
  recipients: string[];
  transfersAbroad: { processor: Processor; hosts: string[]; country: string | null }[];
  securityMeasures: string[];
}

export interface ProcessingInventory {
  generatedAt: string;
  homeCountry: string;
  processors: ConfiguredProcessor[];
  activities: ProcessingActivity[];
}

// Push providers whose country is known without asking the operator.
const KNOWN_HOST_COUNTRIES: [RegExp, string][] = [
  [/(^|\.)push\.apple\.com$/, 'US'],
  [/(^|\.)googleapis\.com$/, 'US'],
];

export function processorOf(
  processor: Processor,
  hosts: string[],
  declared: Record<string, string>,
  homeCountry: string,
): ConfiguredProcessor {
  const known = hosts.map((h) => KNOWN_HOST_COUNTRIES.find(([re]) => re.test(hostname(h)))?.[1]);
  const country =
    declared[processor] ??
    (hosts.length > 0 && known.every((c) => c !== undefined && c === known[0]) ? known[0]! : null);
  return {
    processor,
    hosts,
    country,
    transferAbroad: hosts.length === 0 ? false : country === null ? null : country !== homeCountry,
  };
}

const hostname = (host: string): string => host.replace(/:\d+$/, '');

// One entry per contributor of personal data: its own declaration, with the providers it
// names that are configured now (a provider is a recipient only when configured).
export function buildInventory(
  contributors: PersonalDataContributor[],
  processors: ConfiguredProcessor[],
  homeCountry: string,
  now: Date,
): ProcessingInventory {
  const byKind = new Map(processors.map((p) => [p.processor, p]));
  const activities = contributors
    .map((c): ProcessingActivity => {
      const p = c.processing;
      const used = p.processors
        .map((k) => byKind.get(k))
        .filter((x): x is ConfiguredProcessor => x !== undefined && x.hosts.length > 0);
      return {
        section: c.section,
        tables: [...c.tables],
        dataCategories: [...p.dataCategories],
        dataSubjects: [...p.dataSubjects],
        purposes: [...p.purposes],
        legalBases: [...p.legalBases],
        retention: p.retention,
        recipients: [
          ...p.internalRecipients,
          ...used.map((u) => `${u.processor}: ${u.hosts.join(', ')}`),
        ],
        transfersAbroad: used
          .filter((u) => u.transferAbroad !== false)
          .map((u) => ({ processor: u.processor, hosts: u.hosts, country: u.country })),
        securityMeasures: [...p.securityMeasures],
      };
    })
    .sort((a, b) => a.section.localeCompare(b.section));
  return { generatedAt: now.toISOString(), homeCountry, processors, activities };
}

export const INVENTORY_CSV_COLUMNS = [
  'section',
  'tables',
  'dataCategories',
  'dataSubjects',
  'purposes',
  'legalBases',
  'retention',
  'recipients',
  'transfersAbroad',
  'securityMeasures',
] as const;

// One CSV row per activity; lists joined with "; ". Cells that a spreadsheet would run as a
// formula get a leading "'" (as in the audit CSV export).
export function inventoryRows(inv: ProcessingInventory): string[][] {
  const cell = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  return inv.activities.map((a) =>
    [
      a.section,
      a.tables.join('; '),
      a.dataCategories.join('; '),
      a.dataSubjects.join('; '),
      a.purposes.join('; '),
      a.legalBases.join('; '),
      a.retention,
      a.recipients.join('; '),
      a.transfersAbroad
        .map(
          (t) => `${t.processor} (${t.hosts.join(', ')}) → ${t.country ?? 'country not declared'}`,
        )
        .join('; '),
      a.securityMeasures.join('; '),
    ].map(cell),
  );
}
