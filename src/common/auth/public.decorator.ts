import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'hekim:isPublic';

// The only way out of the global authentication guard. Use it on purpose: every public
// route appears in the permission snapshot test.
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
