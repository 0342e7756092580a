// One envelope rule for every route (docs/api.md, "Envelopes"): a single resource is answered
// bare. A few routes answered `{<name>: resource}` before the rule was settled; they now answer
// the bare resource and, until the next API version, also carry the old wrapper as a deprecated
// member holding the same object, so a client written against either shape keeps working.
export type WithLegacyEnvelope<K extends string, T extends object> = T & Record<K, T>;

export function withLegacyEnvelope<K extends string, T extends object>(
  name: K,
  resource: T,
): WithLegacyEnvelope<K, T> {
  return { ...resource, [name]: resource } as WithLegacyEnvelope<K, T>;
}

export const LEGACY_ENVELOPE_NOTE =
  'Deprecated: the same object as the answer itself, kept for clients of the earlier wrapped ' +
  'answer; removed in the next API version (docs/api.md, "Envelopes").';
