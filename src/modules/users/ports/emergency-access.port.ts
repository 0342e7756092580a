// Whether a doctor holds an active break-glass grant for a patient. The break-glass module
// (compliance) owns the grants and provides this port from a @Global() module.
export abstract class EmergencyAccessPort {
  // The id of the doctor's active (started, not ended, not expired) grant, or null.
  abstract activeGrantId(doctorId: string, patientId: string): Promise<string | null>;
  // The patients the doctor holds an active grant for: patient id → grant id.
  abstract activeGrantsOf(doctorId: string): Promise<Map<string, string>>;
}
