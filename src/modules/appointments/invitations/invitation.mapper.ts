import type { InvitationResponse } from './dto/invitation.dto';
import type { InvitationEntity } from './invitation.entity';

export function toInvitationResponse(i: InvitationEntity): InvitationResponse {
  return {
    id: i.id,
    appointmentId: i.appointmentId,
    guestId: i.guestId,
    role: i.role,
    name: i.name,
    email: i.email,
    phone: i.phone,
    locale: i.locale,
    status: i.revokedAt ? 'revoked' : i.redeemedAt ? 'redeemed' : 'pending',
    redeemedAt: i.redeemedAt?.toISOString() ?? null,
    lastSentAt: i.lastSentAt?.toISOString() ?? null,
    revokedAt: i.revokedAt?.toISOString() ?? null,
    createdAt: i.createdAt.toISOString(),
  };
}
