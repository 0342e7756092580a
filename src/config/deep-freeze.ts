// Freezes a value and everything reachable from it, so that the loaded configuration cannot
// be changed by any part of the code after start-up. Byte buffers (the patient-data keys) are
// the exception: JavaScript cannot freeze a typed array's contents, so the object holding
// them is frozen (the buffer cannot be replaced) and the bytes are left as they are.
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  for (const key of Reflect.ownKeys(value))
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return Object.freeze(value);
}
