import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../../users/users.module';
import { DataSubjectPersonalData } from './data-subject-personal-data';
import { DataSubjectController } from './data-subject.controller';
import { DataSubjectRepository } from './data-subject.repository';
import { DataSubjectService } from './data-subject.service';
import { DestructionRecordEntity, ErasureRequestEntity } from './erasure-request.entity';

// UserSessionsPort comes from the (global) auth module, PersonalDataRegistry from the global
// personal-data module in common/.
@Module({
  imports: [UsersModule, TypeOrmModule.forFeature([ErasureRequestEntity, DestructionRecordEntity])],
  controllers: [DataSubjectController],
  providers: [DataSubjectRepository, DataSubjectService, DataSubjectPersonalData],
})
export class DataSubjectModule {}
