// Small parsers shared by the checks and the composition of the configuration.

export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export interface MasterKey {
  id: string;
  key: Buffer;
}

// `<id>:<base64>` entries (the schema has checked their shape), comma-separated.
export function parseMasterKeys(value: string | undefined): MasterKey[] {
  return list(value).map((entry) => {
    const at = entry.indexOf(':');
    return { id: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
  });
}
