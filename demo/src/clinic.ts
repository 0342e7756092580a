// The clinic's day on the demo page (docs/appointments.md): a patient picks a clinician by
// name, books a free slot, checks in and waits; a doctor opens their calendar, sees today's
// appointments and the queue, and lets the next patient in.
import type { Api } from './api.js';
import type { Appointment, ClinicianListing, QueueEntry, Role, Slot } from './types.js';
import { button } from './render.js';
import { byTestId, inputValue, log, setText, show } from './view.js';

const DAY_MS = 86_400_000;

// Statuses in which a patient may still check in or cancel, and a clinician act on.
const OPEN: ReadonlySet<Appointment['status']> = new Set(['booked', 'checked_in']);

export interface ClinicActions {
  // Joins the appointment's room (a patient lands in its waiting room, the host enters).
  joinRoom(roomId: string): Promise<void>;
  // Admits the next person of the caller's queue (signaling `queue:next`).
  queueNext(): Promise<{ roomId: string; displayName: string }>;
  // Reports a failure of a user action on the page.
  run(what: string, action: () => Promise<void>): void;
}

export class Clinic {
  private role: Role | undefined;
  private clinicians = new Map<string, ClinicianListing>();

  constructor(
    private readonly api: Api,
    private readonly actions: ClinicActions,
  ) {}

  // After sign-in: the patient's booking form, or the doctor's day.
  async start(role: Role): Promise<void> {
    this.role = role;
    show('clinic-panel', role === 'patient' || role === 'doctor');
    show('booking-form', role === 'patient');
    show('doctor-day', role === 'doctor');
    byTestId('booking-slots').replaceChildren();
    setText('queue-position', '');
    if (role === 'patient') await this.loadClinicians();
    if (role === 'doctor') await this.loadQueue();
    if (role === 'patient' || role === 'doctor') await this.loadAppointments();
  }

  stop(): void {
    this.role = undefined;
    show('clinic-panel', false);
  }

  // ---- Patient ----

  private async loadClinicians(): Promise<void> {
    const page = await this.api.clinicians();
    this.clinicians = new Map(page.items.map((c) => [c.id, c]));
    const select = byTestId<HTMLSelectElement>('booking-clinician');
    const chosen = select.value;
    select.replaceChildren(
      ...page.items.map((c) => {
        const option = document.createElement('option');
        option.value = c.id;
        option.textContent = `${c.displayName} (${c.slotMinutes} min)`;
        return option;
      }),
    );
    if (this.clinicians.has(chosen)) select.value = chosen;
    setText(
      'booking-empty',
      page.items.length ? '' : 'No clinician has published working hours yet.',
    );
  }

  // The chosen clinician's free slots over the next week, as buttons.
  async findSlots(): Promise<void> {
    const clinicianId = byTestId<HTMLSelectElement>('booking-clinician').value;
    if (!clinicianId) return;
    const from = new Date();
    const { items } = await this.api.slots(
      clinicianId,
      from,
      new Date(from.getTime() + 7 * DAY_MS),
    );
    const list = byTestId('booking-slots');
    list.replaceChildren(
      ...items.slice(0, 24).map((slot) => {
        const item = document.createElement('li');
        item.append(
          button('booking-slot', when(slot.start), () =>
            this.actions.run('book', () => this.book(clinicianId, slot)),
          ),
        );
        return item;
      }),
    );
    if (!items.length) setText('booking-empty', 'No free time in the next seven days.');
  }

  private async book(clinicianId: string, slot: Slot): Promise<void> {
    await this.api.book(clinicianId, slot, inputValue('booking-reason'));
    const name = this.clinicians.get(clinicianId)?.displayName ?? 'the clinician';
    log(`booked ${when(slot.start)} with ${name}`);
    byTestId('booking-slots').replaceChildren();
    await this.loadAppointments();
  }

  // ---- Both ----

  // From yesterday to a month ahead: today's and the coming appointments, newest state.
  async loadAppointments(): Promise<void> {
    const now = Date.now();
    const { items } = await this.api.appointments(
      new Date(now - DAY_MS),
      new Date(now + 31 * DAY_MS),
    );
    byTestId('appointments-list').replaceChildren(...items.map((a) => this.appointmentItem(a)));
  }

  private appointmentItem(a: Appointment): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset.testid = 'appointment-item';
    item.dataset.appointmentId = a.id;
    item.dataset.status = a.status;
    const other =
      this.role === 'patient'
        ? (this.clinicians.get(a.clinicianId)?.displayName ?? 'your clinician')
        : 'patient';
    item.textContent = `${when(a.start)} with ${other}: ${a.status.replace('_', ' ')} `;
    const act = (what: string, action: () => Promise<void>) => () =>
      this.actions.run(what, async () => {
        await action();
        await this.refresh();
      });
    if (this.role === 'patient' && OPEN.has(a.status)) {
      const label = a.status === 'checked_in' ? 'Wait in the room' : 'Check in';
      item.append(
        button(
          'appointment-check-in',
          label,
          act('check in', async () => {
            if (a.status === 'booked') await this.api.appointmentAct(a.id, 'check-in');
            await this.actions.joinRoom(a.roomId);
          }),
        ),
        button(
          'appointment-cancel',
          'Cancel',
          act('cancel', async () => {
            await this.api.appointmentAct(a.id, 'cancel', { reason: 'Cancelled by the patient' });
          }),
        ),
      );
    }
    if (this.role === 'doctor') {
      if (OPEN.has(a.status) || a.status === 'in_consultation')
        item.append(
          button(
            'appointment-join',
            'Open room',
            act('join', () => this.join(a)),
          ),
        );
      if (a.status === 'in_consultation')
        item.append(
          button(
            'appointment-complete',
            'Complete',
            act('complete', async () => {
              await this.api.appointmentAct(a.id, 'complete', { outcome: 'Seen' });
            }),
          ),
        );
      if (a.status === 'booked')
        item.append(
          button(
            'appointment-no-show',
            'No-show',
            act('no-show', async () => {
              await this.api.appointmentAct(a.id, 'no-show');
            }),
          ),
        );
    }
    return item;
  }

  private join(a: Appointment): Promise<void> {
    return this.actions.joinRoom(a.roomId);
  }

  async refresh(): Promise<void> {
    if (this.role === 'doctor') await this.loadQueue();
    if (this.role === 'patient') await this.loadClinicians();
    await this.loadAppointments();
  }

  // ---- Doctor ----

  // A demo convenience: every day 08:00–20:00 in the browser's time zone, 20-minute slots.
  async openCalendar(): Promise<void> {
    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    await this.api.openHours(timezone, '08:00', '20:00', 20);
    log(`working hours set: every day 08:00–20:00 (${timezone}), 20-minute slots`);
  }

  async loadQueue(): Promise<void> {
    const { items } = await this.api.queue();
    byTestId('queue-list').replaceChildren(...items.map((entry) => queueItem(entry)));
    byTestId<HTMLButtonElement>('queue-next').disabled = items.length === 0;
  }

  // "Next patient": the server admits the first person of the queue who is in their
  // appointment's waiting room (`queue:next`); the doctor then enters that room.
  async next(): Promise<void> {
    const admitted = await this.actions.queueNext();
    await this.actions.joinRoom(admitted.roomId);
    log(`next patient: ${admitted.displayName}`);
    await this.refresh();
  }
}

function queueItem(entry: QueueEntry): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.testid = 'queue-item';
  item.dataset.appointmentId = entry.appointmentId;
  const waited = Math.floor(entry.waitedSeconds / 60);
  item.textContent = `${entry.position}. ${entry.displayName}, booked for ${when(entry.start)}, waiting ${waited} min`;
  return item;
}

// An instant in the reader's own time zone and language.
function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function wireClinic(clinic: Clinic, run: ClinicActions['run']): void {
  byTestId<HTMLFormElement>('booking-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run('free times', () => clinic.findSlots());
  });
  byTestId('appointments-refresh').addEventListener('click', () =>
    run('appointments', () => clinic.refresh()),
  );
  byTestId('hours-open').addEventListener('click', () => run('hours', () => clinic.openCalendar()));
  byTestId('queue-next').addEventListener('click', () => run('next patient', () => clinic.next()));
}
