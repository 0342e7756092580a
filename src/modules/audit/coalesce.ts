// Joins the many small strings of an export (one per record) into chunks of about `size`
// characters, so that the streamed response makes one socket write per chunk instead of one
// per record. Pulled on demand, so backpressure still holds and memory stays at one chunk.
export async function* coalesce(
  source: AsyncIterable<string> | Iterable<string>,
  size = 64 * 1024,
): AsyncGenerator<string> {
  let parts: string[] = [];
  let length = 0;
  for await (const part of source) {
    parts.push(part);
    length += part.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
