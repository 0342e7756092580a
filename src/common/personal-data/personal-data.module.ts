import { Global, Module } from '@nestjs/common';
import { PersonalDataRegistry } from './personal-data-registry';

// Global, and below every feature: the owners of personal data only extend
// PersonalDataContributor; the compliance features that export and erase use the registry.
@Global()
@Module({ providers: [PersonalDataRegistry], exports: [PersonalDataRegistry] })
export class PersonalDataModule {}
