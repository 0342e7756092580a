import { addressRefusal, urlRefusal } from './webhook-target';

const strict = { httpsOnly: true, allowPrivate: false };
const lax = { httpsOnly: false, allowPrivate: true };

describe('webhook targets (SSRF guard)', () => {
  it('refuses loopback, link-local and private addresses unless allowed', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ])
      expect([ip, addressRefusal(ip, strict)]).toEqual([ip, expect.any(String)]);
    expect(addressRefusal('127.0.0.1', lax)).toBeUndefined();
    expect(addressRefusal('93.184.216.34', strict)).toBeUndefined();
    expect(addressRefusal('2606:4700::1111', strict)).toBeUndefined();
  });

  it('never allows unspecified, multicast or documentation addresses', () => {
    for (const ip of ['0.0.0.0', '224.0.0.1', '::', 'ff02::1', '192.0.2.10'])
      expect(addressRefusal(ip, lax)).toEqual(expect.any(String));
  });

  it('checks the URL: https in production, no credentials, no forbidden literal host', () => {
    expect(urlRefusal('http://ehr.example.org/hook', strict)).toBe('must be an https:// URL');
    expect(urlRefusal('https://ehr.example.org/hook', strict)).toBeUndefined();
    expect(urlRefusal('http://ehr.example.org/hook', lax)).toBeUndefined();
    expect(urlRefusal('ftp://ehr.example.org/', lax)).toBe('must be an http:// or https:// URL');
    expect(urlRefusal('https://u:p@ehr.example.org/', strict)).toBe('must not carry credentials');
    expect(urlRefusal('https://[::1]:8443/', strict)).toMatch(/loopback/);
    expect(urlRefusal('https://169.254.169.254/latest/meta-data', strict)).toMatch(/link-local/);
    expect(urlRefusal('not a url', strict)).toBe('must be an absolute URL');
  });
});
