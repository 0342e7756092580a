// RFC 5424 syslog messages and RFC 5425's octet-counting frame. No maintained npm package
// formats RFC 5424 apart from a transport (the syslog clients bundle UDP/TCP senders and skip
// structured-data escaping), and the format is small: syslog-format.spec.ts holds it to the
// RFC's own examples.

// RFC 5424 §6.2.1.
export const enum SyslogFacility {
  LogAudit = 13,
}

export const enum SyslogSeverity {
  Warning = 4,
  Notice = 5,
  Informational = 6,
}

export interface StructuredDataElement {
  // An SD-ID: a registered name, or `name@<private enterprise number>`.
  id: string;
  params: readonly (readonly [name: string, value: string])[];
}

export interface SyslogMessage {
  facility: number;
  severity: number;
  // RFC 3339 as §6.2.3 restricts it (e.g. Date#toISOString), or null for the NILVALUE.
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: readonly StructuredDataElement[];
  // UTF-8 text, sent after a byte order mark as §6.4 asks for MSG-UTF8; null for no MSG.
  message: string | null;
}

const NIL = '-';
const BOM = '\uFEFF';

// HOSTNAME, APP-NAME, PROCID and MSGID are 1..n PRINTUSASCII characters (33..126) or "-":
// anything else is dropped, the rest cut to the field's length.
export function headerField(value: string | null, max: number): string {
  if (value === null) return NIL;
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? NIL : printable;
}

// SD-NAME (§6.3.2, §6.3.3): 1..32 PRINTUSASCII except '=', SP, ']' and '"'. A name that is
// not one is a programming error, not data: refuse it.
function sdName(name: string): string {
  if (!/^[\x21-\x7e]{1,32}$/.test(name) || /[= \]"]/.test(name))
    throw new Error(`not an RFC 5424 SD-NAME: ${JSON.stringify(name)}`);
  return name;
}

// PARAM-VALUE (§6.3.3): UTF-8 with '"', '\' and ']' escaped by a backslash.
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

function structuredData(elements: readonly StructuredDataElement[]): string {
  if (elements.length === 0) return NIL;
  return elements
    .map(({ id, params }) => {
      const [name, enterprise] = id.split('@', 2);
      const sdId = enterprise === undefined ? sdName(name) : `${sdName(name)}@${enterprise}`;
      if (sdId.length > 32 || (enterprise !== undefined && !/^\d+(\.\d+)*$/.test(enterprise)))
        throw new Error(`not an RFC 5424 SD-ID: ${JSON.stringify(id)}`);
      const body = params.map(([n, v]) => ` ${sdName(n)}="${escapeParamValue(v)}"`).join('');
      return `[${sdId}${body}]`;
    })
    .join('');
}

export function formatSyslog(m: SyslogMessage): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23)
    throw new Error(`syslog facility out of range: ${m.facility}`);
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7)
    throw new Error(`syslog severity out of range: ${m.severity}`);
  const header = [
    `<${m.facility * 8 + m.severity}>1`,
    m.timestamp ?? NIL,
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
  ].join(' ');
  const sd = structuredData(m.structuredData);
  return m.message === null ? `${header} ${sd}` : `${header} ${sd} ${BOM}${m.message}`;
}

// RFC 5425 §4.3: MSG-LEN SP SYSLOG-MSG, MSG-LEN counting octets (of the UTF-8 encoding).
export function octetCountingFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
