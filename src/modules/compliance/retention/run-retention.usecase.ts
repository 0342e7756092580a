import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AppointmentsService } from '../../appointments/booking/appointments.service';
import { AuditService } from '../../audit/audit.service';
import { InvitationsService } from '../../appointments/invitations/invitations.service';
import { CallsService } from '../../calls/calls.service';
import { ChatService } from '../../chat/chat.service';
import { SessionsService } from '../../sessions/sessions.service';
import type { RetentionTrigger } from './retention-run.entity';
import { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

export interface RetentionResult {
  id: string;
  trigger: RetentionTrigger;
  startedAt: string;
  finishedAt: string;
  sessionsBefore: string;
  callsBefore: string;
  appointmentsBefore: string;
  sessionsAnonymized: number;
  sessionParticipantsDeleted: number;
  callsDeleted: number;
  callParticipantsDeleted: number;
  appointmentsDeleted: number;
  invitationsScrubbed: number;
  messagesBefore: string;
  messagesDeleted: number;
  attachmentsDeleted: number;
  auditRetentionDays: number;
}

// Applies the retention periods (docs/compliance.md): ended calls older than
// RETENTION_CALLS_DAYS are destroyed, ended sessions older than RETENTION_SESSIONS_DAYS lose
// who took part; invitations of appointments that ended before the sessions' cut-off lose how
// to reach their invitee (docs/appointments.md, "Invitations"); completed, cancelled and missed
// appointments that ended more than RETENTION_APPOINTMENTS_DAYS ago, and chat messages and files
// older than RETENTION_MESSAGES_DAYS, are destroyed. One transaction: the destruction, its retention_runs row and its audit record
// commit together or not at all. An advisory lock lets one run at a time across instances; a
// second caller gets null. The audit trail is never touched (append-only, the database
// refuses deletion), so it is always kept at least AUDIT_RETENTION_DAYS.
@Injectable()
export class RunRetention {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly runs: RetentionRepository,
    private readonly sessions: SessionsService,
    private readonly calls: CallsService,
    private readonly appointments: AppointmentsService,
    private readonly invitations: InvitationsService,
    private readonly chat: ChatService,
    private readonly audit: AuditService,
  ) {}

  async execute(
    trigger: RetentionTrigger,
    now: Date = new Date(),
  ): Promise<RetentionResult | null> {
    return this.dataSource.transaction(async (m) => {
      if (!(await this.runs.tryLock(m))) return null;
      const { sessionsDays, callsDays, appointmentsDays, messagesDays } = this.config.retention;
      const appointmentsBefore = new Date(now.getTime() - appointmentsDays * DAY_MS);
      const messagesBefore = new Date(now.getTime() - messagesDays * DAY_MS);
      const sessionsBefore = new Date(now.getTime() - sessionsDays * DAY_MS);
      const callsBefore = new Date(now.getTime() - callsDays * DAY_MS);
      // Calls first: their rooms' sessions go with them and need no anonymizing.
      const calls = await this.calls.destroyEndedBefore(callsBefore, m);
      const sessions = await this.sessions.anonymizeEndedBefore(sessionsBefore, now, m);
      const invitationsScrubbed = await this.invitations.scrubEndedBefore(sessionsBefore, m);
      const appointments = await this.appointments.destroyClosedBefore(appointmentsBefore, m);
      const chat = await this.chat.destroyBefore(messagesBefore, m);
      const run = await this.runs.insert(
        {
          trigger,
          startedAt: now,
          finishedAt: new Date(),
          sessionsBefore,
          callsBefore,
          sessionsAnonymized: sessions.sessions,
          sessionParticipantsDeleted: sessions.participants,
          callsDeleted: calls.calls,
          callParticipantsDeleted: calls.participants,
          appointmentsBefore,
          appointmentsDeleted: appointments,
          auditRetentionDays: this.config.audit.retentionDays,
        },
        m,
      );
      await this.audit.record(
        {
          action: AuditAction.RetentionRun,
          outcome: AuditOutcome.Success,
          actor: { userId: null, role: null },
          resource: { type: 'retention_run', id: run.id },
          details: {
            trigger,
            sessionsAnonymized: run.sessionsAnonymized,
            sessionParticipantsDeleted: run.sessionParticipantsDeleted,
            callsDeleted: run.callsDeleted,
            callParticipantsDeleted: run.callParticipantsDeleted,
            appointmentsDeleted: run.appointmentsDeleted,
            invitationsScrubbed,
            messagesDeleted: chat.messages,
            attachmentsDeleted: chat.attachments,
          },
        },
        m,
      );
      return {
        id: run.id,
        trigger,
        startedAt: run.startedAt.toISOString(),
        finishedAt: run.finishedAt.toISOString(),
        sessionsBefore: run.sessionsBefore.toISOString(),
        callsBefore: run.callsBefore.toISOString(),
        sessionsAnonymized: run.sessionsAnonymized,
        sessionParticipantsDeleted: run.sessionParticipantsDeleted,
        callsDeleted: run.callsDeleted,
        callParticipantsDeleted: run.callParticipantsDeleted,
        appointmentsBefore: appointmentsBefore.toISOString(),
        appointmentsDeleted: run.appointmentsDeleted,
        invitationsScrubbed,
        messagesBefore: messagesBefore.toISOString(),
        messagesDeleted: chat.messages,
        attachmentsDeleted: chat.attachments,
        auditRetentionDays: run.auditRetentionDays,
      };
    });
  }
}
