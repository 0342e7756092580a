// Who is treating whom. The care module owns care relationships and provides this port from a
// @Global() module (`{ provide: CareRelationshipsPort, useExisting: CareService }`).
export abstract class CareRelationshipsPort {
  // The id of an active care relationship between the clinician and the patient, or null.
  abstract activeRelationshipId(clinicianId: string, patientId: string): Promise<string | null>;
  // The patients the clinician has an active care relationship with: patient id → the id of
  // that relationship.
  abstract activePatientsOf(clinicianId: string): Promise<Map<string, string>>;
}
