import { Injectable } from '@nestjs/common';
import { PortImplementations } from '../ports/port-implementations';
import { PersonalDataContributor } from './personal-data.contributor';

// Every contributor of personal data in the running app, for the data export, the erasure
// and the completeness test.
@Injectable()
export class PersonalDataRegistry {
  private contributors?: PersonalDataContributor[];

  constructor(private readonly implementations: PortImplementations) {}

  all(): PersonalDataContributor[] {
    this.contributors ??= this.collect();
    return [...this.contributors];
  }

  claimedTables(): Set<string> {
    return new Set(this.all().flatMap((c) => c.tables));
  }

  private collect(): PersonalDataContributor[] {
    const found = this.implementations.of(PersonalDataContributor);
    const sections = new Set<string>();
    for (const c of found) {
      if (sections.has(c.section)) {
        throw new Error(`personal data section ${c.section} contributed twice`);
      }
      sections.add(c.section);
    }
    return found;
  }
}
