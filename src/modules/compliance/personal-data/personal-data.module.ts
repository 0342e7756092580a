import { Global, Module } from '@nestjs/common';
import { PersonalDataRegistry } from './personal-data-registry';

// Global so that any module holding personal data can register a contributor without
// importing the compliance features that use the registry.
@Global()
@Module({ providers: [PersonalDataRegistry], exports: [PersonalDataRegistry] })
export class PersonalDataModule {}
