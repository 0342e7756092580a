// The clinic's day on the demo page (docs/appointments.md): a patient picks a clinician by
// name, books a free slot, checks in and waits; a doctor opens their calendar, sees today's
// appointments and the queue, and lets the next patient in.
import type { Api } from './api.js';
import { formatTime, formatWhen, t } from './i18n.js';
import type { People } from './people.js';
import type { Appointment, ClinicianListing, QueueEntry, Role, Slot } from './types.js';
import { button, byTestId, element, inputValue, log, notify, setText, show } from './view.js';

const DAY_MS = 86_400_000;

// Statuses in which a patient may still check in or cancel, and a clinician act on.
const OPEN: ReadonlySet<Appointment['status']> = new Set(['booked', 'checked_in']);

export interface ClinicActions {
  // Joins the appointment's room (a patient lands in its waiting room, the host enters).
  // `appointmentId` when a patient goes in: the pre-call check reports to it.
  joinRoom(roomId: string, appointmentId?: string): Promise<void>;
  // Admits the next person of the caller's queue (signaling `queue:next`).
  queueNext(): Promise<{ roomId: string; displayName: string }>;
  // Reports a failure of a user action on the page.
  run(what: string, action: () => Promise<void>): void;
}

export class Clinic {
  private role: Role | undefined;
  private clinicians = new Map<string, ClinicianListing>();
  private appointments: Appointment[] = [];
  private queueItems: QueueEntry[] = [];

  constructor(
    private readonly api: Api,
    private readonly people: People,
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
    for (const c of page.items) this.people.remember(c.id, { name: c.displayName, role: 'doctor' });
    const select = byTestId<HTMLSelectElement>('booking-clinician');
    const chosen = select.value;
    select.replaceChildren(
      ...page.items.map((c) => {
        const option = document.createElement('option');
        option.value = c.id;
        option.textContent = c.displayName;
        return option;
      }),
    );
    if (this.clinicians.has(chosen)) select.value = chosen;
    setText('booking-empty', page.items.length ? '' : t('clinic.noClinicians'));
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
          button(
            'booking-slot',
            formatWhen(slot.start),
            () => this.actions.run('book', () => this.book(clinicianId, slot)),
            'secondary',
          ),
        );
        return item;
      }),
    );
    setText('booking-empty', items.length ? '' : t('clinic.noSlots'));
  }

  private async book(clinicianId: string, slot: Slot): Promise<void> {
    await this.api.book(clinicianId, slot, inputValue('booking-reason'));
    const name = this.clinicians.get(clinicianId)?.displayName ?? t('clinic.yourDoctor');
    log(`booked ${slot.start}`);
    notify(t('clinic.booked', { when: formatWhen(slot.start), name }));
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
    this.appointments = items;
    // A doctor's patients by name (GET /users/:id answers for the patients they treat).
    if (this.role === 'doctor') {
      await Promise.all(
        [...new Set(items.map((a) => a.patientId))]
          .filter(Boolean)
          .map((id) => this.people.lookUp(id)),
      );
    }
    this.renderAppointments();
  }

  // Re-renders in the current language.
  render(): void {
    this.renderAppointments();
    this.renderQueue();
  }

  private renderAppointments(): void {
    const shown = this.role === 'doctor' ? this.appointments.filter(ofTheDay) : this.appointments;
    byTestId('appointments-list').replaceChildren(...shown.map((a) => this.appointmentItem(a)));
    show('appointments-empty', shown.length === 0);
  }

  private appointmentItem(a: Appointment): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset.testid = 'appointment-item';
    item.dataset.appointmentId = a.id;
    item.dataset.status = a.status;
    const other =
      this.role === 'patient'
        ? (this.clinicians.get(a.clinicianId)?.displayName ?? t('clinic.yourDoctor'))
        : this.people.nameOf(a.patientId, 'clinic.aPatient');
    const what = element(
      'span',
      t('clinic.withName', { when: formatWhen(a.start), name: other }),
      'what',
    );
    const state = element('span', t(`clinic.status.${a.status}`), 'state');
    state.dataset.testid = 'appointment-status';
    item.append(what, state);
    const act = (what: string, action: () => Promise<void>) => () =>
      this.actions.run(what, async () => {
        await action();
        await this.refresh();
      });
    if (this.role === 'patient' && OPEN.has(a.status)) {
      const label = a.status === 'checked_in' ? t('clinic.waitInRoom') : t('clinic.checkIn');
      item.append(
        button(
          'appointment-check-in',
          label,
          act('check in', async () => {
            if (a.status === 'booked') await this.api.appointmentAct(a.id, 'check-in');
            await this.actions.joinRoom(a.roomId, a.id);
          }),
        ),
        button(
          'appointment-cancel',
          t('clinic.cancel'),
          act('cancel', async () => {
            await this.api.appointmentAct(a.id, 'cancel', { reason: t('clinic.cancelReason') });
          }),
          'secondary',
        ),
      );
    }
    if (this.role === 'doctor') {
      if (OPEN.has(a.status) || a.status === 'in_consultation')
        item.append(
          button(
            'appointment-join',
            t('clinic.openRoom'),
            act('join', () => this.join(a)),
          ),
        );
      if (a.status === 'in_consultation')
        item.append(
          button(
            'appointment-complete',
            t('clinic.complete'),
            act('complete', async () => {
              await this.api.appointmentAct(a.id, 'complete', { outcome: 'Seen' });
            }),
          ),
        );
      if (a.status === 'booked')
        item.append(
          button(
            'appointment-no-show',
            t('clinic.noShow'),
            act('no-show', async () => {
              await this.api.appointmentAct(a.id, 'no-show');
            }),
            'secondary',
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
    notify(t('clinic.hoursSet'));
  }

  async loadQueue(): Promise<void> {
    const { items } = await this.api.queue();
    this.queueItems = items;
    for (const entry of items)
      this.people.remember(entry.patientId, { name: entry.displayName, role: 'patient' });
    this.renderQueue();
  }

  private renderQueue(): void {
    const items = this.queueItems;
    byTestId('queue-list').replaceChildren(...items.map((entry) => queueItem(entry)));
    byTestId<HTMLButtonElement>('queue-next').disabled = items.length === 0;
    show('queue-empty', items.length === 0);
  }

  // "Next patient": the server admits the first person of the queue who is in their
  // appointment's waiting room (`queue:next`); the doctor then enters that room.
  async next(): Promise<void> {
    const admitted = await this.actions.queueNext();
    await this.actions.joinRoom(admitted.roomId);
    log('next patient admitted');
    notify(t('clinic.nextDone', { name: admitted.displayName }));
    await this.refresh();
  }
}

// The doctor's day: from this morning to 24 hours ahead, and any appointment still under way.
function ofTheDay(a: Appointment): boolean {
  if (a.status === 'checked_in' || a.status === 'in_consultation') return true;
  const start = new Date(a.start).getTime();
  const morning = new Date();
  morning.setHours(0, 0, 0, 0);
  return start >= morning.getTime() && start < Date.now() + DAY_MS;
}

function queueItem(entry: QueueEntry): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.testid = 'queue-item';
  item.dataset.appointmentId = entry.appointmentId;
  const minutes = Math.floor(entry.waitedSeconds / 60);
  item.append(
    element(
      'span',
      t('clinic.queueLine', {
        position: entry.position,
        name: entry.displayName,
        time: formatTime(entry.start),
        minutes,
      }),
      'what',
    ),
  );
  const check = entry.precheck;
  const precheck = element(
    'span',
    check
      ? t(check.passed ? 'clinic.precheckPassed' : 'clinic.precheckFailed')
      : t('clinic.precheckNone'),
    'precheck state',
  );
  precheck.dataset.testid = 'queue-precheck';
  if (check) precheck.dataset.passed = String(check.passed);
  item.append(precheck);
  return item;
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
