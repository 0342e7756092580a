import {
  escapeParamValue,
  formatSyslog,
  octetCountingFrame,
  type SyslogMessage,
} from './syslog-format';

const BOM = '\uFEFF';

// The examples of RFC 5424 §6.5, written out by formatSyslog from their fields.
describe('formatSyslog (RFC 5424)', () => {
  it('example 1: no structured data, a UTF-8 message after its BOM', () => {
    const m: SyslogMessage = {
      facility: 4,
      severity: 2,
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: null,
      msgId: 'ID47',
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
    };
    expect(formatSyslog(m)).toBe(
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    );
  });

  it('example 3: one structured-data element and a message', () => {
    expect(
      formatSyslog({
        facility: 20,
        severity: 5,
        timestamp: '2003-10-11T22:14:15.003Z',
        hostname: 'mymachine.example.com',
        appName: 'evntslog',
        procId: null,
        msgId: 'ID47',
        structuredData: [
          {
            id: 'exampleSDID@32473',
            params: [
              ['iut', '3'],
              ['eventSource', 'Application'],
              ['eventID', '1011'],
            ],
          },
        ],
        message: 'An application event log entry...',
      }),
    ).toBe(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
  });

  it('example 4: two elements and no message', () => {
    expect(
      formatSyslog({
        facility: 20,
        severity: 5,
        timestamp: '2003-10-11T22:14:15.003Z',
        hostname: 'mymachine.example.com',
        appName: 'evntslog',
        procId: null,
        msgId: 'ID47',
        structuredData: [
          {
            id: 'exampleSDID@32473',
            params: [
              ['iut', '3'],
              ['eventSource', 'Application'],
              ['eventID', '1011'],
            ],
          },
          { id: 'examplePriority@32473', params: [['class', 'high']] },
        ],
        message: null,
      }),
    ).toBe(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
  });

  it('escapes \'"\', "\\" and "]" in parameter values (§6.3.3), nothing else', () => {
    expect(escapeParamValue('a"b\\c]d[e=f ü')).toBe('a\\"b\\\\c\\]d[e=f ü');
  });

  it('keeps header fields to PRINTUSASCII within their lengths, "-" when nothing is left', () => {
    const line = formatSyslog({
      facility: 13,
      severity: 6,
      timestamp: null,
      hostname: 'host name\u00e7',
      appName: ' ',
      procId: '42',
      msgId: 'x'.repeat(40),
      structuredData: [],
      message: null,
    });
    expect(line).toBe(`<110>1 - hostname - 42 ${'x'.repeat(32)} -`);
  });

  it('refuses names that are not SD-NAMEs and priorities out of range', () => {
    const base: SyslogMessage = {
      facility: 13,
      severity: 5,
      timestamp: null,
      hostname: null,
      appName: null,
      procId: null,
      msgId: null,
      structuredData: [],
      message: null,
    };
    expect(() => formatSyslog({ ...base, structuredData: [{ id: 'a b', params: [] }] })).toThrow(
      /SD-NAME/,
    );
    expect(() =>
      formatSyslog({ ...base, structuredData: [{ id: 'x', params: [['a=b', '1']] }] }),
    ).toThrow(/SD-NAME/);
    expect(() => formatSyslog({ ...base, structuredData: [{ id: 'x@pen', params: [] }] })).toThrow(
      /SD-ID/,
    );
    expect(() => formatSyslog({ ...base, facility: 24 })).toThrow(/facility/);
    expect(() => formatSyslog({ ...base, severity: 8 })).toThrow(/severity/);
  });
});

describe('octetCountingFrame (RFC 5425)', () => {
  it('prefixes the length in octets of the UTF-8 message and a space', () => {
    // 20 characters, 22 octets: ş and ü take two each.
    expect(octetCountingFrame('<13>1 - - - - - - şü').toString('utf8')).toBe(
      '22 <13>1 - - - - - - şü',
    );
  });
});
