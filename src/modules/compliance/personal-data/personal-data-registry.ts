import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

// A module that stores personal data about a user says so by registering a contributor here
// (in its onModuleInit). The data export asks every contributor for its part, erasure asks
// every contributor to anonymize, and the completeness test checks that every table that
// mentions a user is claimed by some contributor: a new table that forgets to register fails it.
export interface PersonalDataContributor {
  // Key of this contributor's section in the data export, e.g. `consents`.
  readonly section: string;
  // The tables whose rows about a user this contributor exports and erases.
  readonly tables: readonly string[];
  // Everything held about the user in those tables, as plain JSON (API shapes, not entities).
  exportFor(userId: string, manager: EntityManager): Promise<unknown>;
  // Anonymizes or destroys the user's data in those tables inside the erasure transaction;
  // returns how many rows it changed, for the destruction record.
  eraseFor(userId: string, manager: EntityManager): Promise<number>;
}

@Injectable()
export class PersonalDataRegistry {
  private readonly contributors = new Map<string, PersonalDataContributor>();

  register(contributor: PersonalDataContributor): void {
    if (this.contributors.has(contributor.section)) {
      throw new Error(`personal data section ${contributor.section} registered twice`);
    }
    this.contributors.set(contributor.section, contributor);
  }

  all(): PersonalDataContributor[] {
    return [...this.contributors.values()];
  }

  claimedTables(): Set<string> {
    return new Set(this.all().flatMap((c) => c.tables));
  }
}
