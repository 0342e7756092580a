import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSubjectController } from './data-subject.controller';
import { DataSubjectRepository } from './data-subject.repository';
import { DataSubjectService } from './data-subject.service';
import { DestructionRecordEntity, ErasureRequestEntity } from './erasure-request.entity';

// UserSessionsPort comes from the (global) auth module, PersonalDataRegistry from the global
// personal-data module.
@Module({
  imports: [TypeOrmModule.forFeature([ErasureRequestEntity, DestructionRecordEntity])],
  controllers: [DataSubjectController],
  providers: [DataSubjectRepository, DataSubjectService],
})
export class DataSubjectModule {}
