// What an erased account's e-mail becomes: unique, never deliverable (.invalid is reserved by
// RFC 2606), and carrying only the pseudonymous id.
export function newErasedEmail(userId: string): string {
  return `erased-${userId.toLowerCase()}@invalid`;
}
