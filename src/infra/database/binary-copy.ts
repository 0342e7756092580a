// PostgreSQL's binary COPY format (protocol docs, "COPY ... BINARY"): the header that opens the
// data, shared by the readers that take a COPY's bytes as they arrive (the audit export's NDJSON
// lines, the SIEM forwarder's frames).

// "PGCOPY\n\377\r\n\0", then 32 bits of flags and 32 of the header extension's length.
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const HEADER_FIXED = SIGNATURE.length + 8;

// Where the tuples start: the end of the header that starts at pos in buf, within the message
// ending at end. A header that is not one, or asks for OIDs, is refused by `fail(why)`.
export function binaryCopyHeaderEnd(
  buf: Buffer,
  pos: number,
  end: number,
  fail: (why: string) => Error,
): number {
  if (end - pos < HEADER_FIXED || !buf.subarray(pos, pos + SIGNATURE.length).equals(SIGNATURE))
    throw fail('not a binary COPY (signature)');
  // Bit 16 of the flags: each tuple carries an OID, which these readers do not expect.
  if ((buf.readUInt32BE(pos + SIGNATURE.length) & 0x10000) !== 0)
    throw fail('a binary COPY with OIDs');
  const after = pos + HEADER_FIXED + buf.readUInt32BE(pos + SIGNATURE.length + 4);
  if (after > end) throw fail('not a binary COPY (header extension)');
  return after;
}
