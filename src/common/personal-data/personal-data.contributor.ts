import type { EntityManager } from 'typeorm';
import type { ProcessingDeclaration } from './processing';

// The person an export or erasure is about, resolved once before any contributor runs (the
// account's own contributor erases the address last): the id most tables point at, and the
// e-mail address for the rows that name a person by it (queued messages).
export interface PersonalDataSubject {
  readonly id: string;
  readonly email: string;
}

// A module that stores personal data about a user says so with a provider that extends this
// port, one per section of the export (a multi-implementation port, docs/architecture.md). It
// lives here, below every feature, so that each owner of a table contributes its own part
// importing downward. The data export asks every contributor for its part, erasure asks every
// contributor to anonymize, and the completeness test checks that every table that mentions a
// user is claimed by some contributor: a new table nobody claims fails it.
export abstract class PersonalDataContributor {
  // Key of this contributor's section in the data export, e.g. `consents`.
  abstract readonly section: string;
  // The tables whose rows about a user this contributor exports and erases; only tables its
  // own module owns.
  abstract readonly tables: readonly string[];
  // What the processing of those tables is: categories, purposes, legal bases, retention,
  // recipients, security (the processing inventory, docs/compliance.md).
  abstract readonly processing: ProcessingDeclaration;
  // Everything held about the user in those tables, as plain JSON (API shapes, not entities).
  abstract exportFor(subject: PersonalDataSubject, manager: EntityManager): Promise<unknown>;
  // Anonymizes or destroys the user's data in those tables inside the erasure transaction;
  // returns how many rows it changed, for the destruction record.
  abstract eraseFor(subject: PersonalDataSubject, manager: EntityManager): Promise<number>;
}

// Rows changed by an UPDATE or DELETE (the pg driver returns [rows, count] through TypeORM).
export async function affectedRows(
  m: EntityManager,
  sql: string,
  params: unknown[],
): Promise<number> {
  const result: unknown = await m.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
