import { SetMetadata } from '@nestjs/common';

export const MFA_ENROLLMENT_ROUTE = 'hekim:mfaEnrollmentRoute';

// Marks the few routes a user whose role requires MFA may call before enrolling (MFA setup
// and enable, logout). Every other route answers 403 MFA_REQUIRED to such a user.
export const MfaEnrollmentRoute = (): MethodDecorator & ClassDecorator =>
  SetMetadata(MFA_ENROLLMENT_ROUTE, true);
