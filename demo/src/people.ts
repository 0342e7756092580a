// Who is who, by name: the app shows people by their names and roles, never by their ids.
// Names come from wherever Hekim tells them (join answers, ring events, the queue, the
// clinician listing) and, for a doctor's patients or a patient's doctors, from GET /users/:id
// (which answers only for people one is in care with, docs/access-model.md).
import type { Api } from './api.js';
import { t } from './i18n.js';

export interface Person {
  name: string;
  // A user role (patient, doctor) or a room role (host, participant, guest, interpreter…).
  role?: string;
}

export class People {
  private readonly known = new Map<string, Person>();
  private readonly pending = new Map<string, Promise<Person | undefined>>();

  constructor(private readonly api: Api) {}

  remember(userId: string, person: Partial<Person> & { name?: string }): void {
    if (!userId) return;
    const before = this.known.get(userId);
    const name = person.name && person.name !== userId ? person.name : before?.name;
    if (!name) return;
    this.known.set(userId, { name, role: person.role ?? before?.role });
  }

  get(userId: string): Person | undefined {
    return this.known.get(userId);
  }

  // A name to show, never an id: the person's name, or a neutral word.
  nameOf(userId: string, fallbackKey = 'call.someone'): string {
    return this.known.get(userId)?.name ?? t(fallbackKey);
  }

  // Looks a person up once (GET /users/:id); undefined when we may not see them.
  async lookUp(userId: string): Promise<Person | undefined> {
    const known = this.known.get(userId);
    if (known) return known;
    let request = this.pending.get(userId);
    if (!request) {
      request = this.api.user(userId).then(
        (user) => {
          this.remember(user.id, { name: user.displayName, role: user.role });
          return this.known.get(user.id);
        },
        () => undefined,
      );
      this.pending.set(userId, request);
    }
    return request;
  }

  // The people I am in care with (a doctor's patients, a patient's doctors), by name.
  async contacts(myId: string): Promise<{ id: string; name: string }[]> {
    const page = await this.api.careRelationships();
    const ids = [
      ...new Set(page.items.map((r) => (r.clinicianId === myId ? r.patientId : r.clinicianId))),
    ];
    const found = await Promise.all(ids.map(async (id) => ({ id, person: await this.lookUp(id) })));
    return found
      .filter((f): f is { id: string; person: Person } => f.person !== undefined)
      .map((f) => ({ id: f.id, name: f.person.name }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

// The role word shown beside a name.
export function roleLabel(role: string | undefined): string {
  return role ? t(`roles.${role}`, { defaultValue: '' }) : '';
}
