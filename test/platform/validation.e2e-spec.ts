import { Body, Controller, Get, Post } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Max, MaxLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { Public } from '../../src/common/auth/public.decorator';
import { configureApp } from '../../src/common/http/configure-app';
import { loadConfig } from '../../src/config/load-config';
import { createTestDatabase, testEnv, type TestDatabase } from '../support/test-app';

class Dose {
  @IsInt()
  @Max(1000)
  mg!: number;
}

class Prescription {
  @IsString()
  @MaxLength(40)
  name!: string;

  @ValidateNested()
  @Type(() => Dose)
  dose!: Dose;
}

// A probe controller mounted on the real AppModule: it shows how the global pipe and filter
// treat every route, without depending on any feature module.
@Controller('probe')
class ProbeController {
  @Public()
  @Post()
  echo(@Body() body: Prescription): Prescription {
    return body;
  }

  @Public()
  @Get('crash')
  crash(): never {
    throw new Error('SELECT password_hash FROM users WHERE id = 42 -- internal detail');
  }
}

describe('platform: validation and unexpected errors', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig(testEnv(db, `hekim-test:probe:${process.pid}:`), {
      persistGeneratedSecrets: false,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register(config)],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({
      bodyParser: false,
      bufferLogs: true,
    });
    app.useLogger(app.get(Logger));
    configureApp(app, config);
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('accepts a valid body', async () => {
    const body = { name: 'amoxicillin', dose: { mg: 500 } };
    await request(app.getHttpServer()).post('/api/v1/probe').send(body).expect(201, body);
  });

  it('rejects unknown fields, at any depth, naming them', async () => {
    const res = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .send({ name: 'x', dose: { mg: 1, route: 'iv' }, role: 'admin' })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'role', messages: ['property role should not exist'] },
        { field: 'dose.route', messages: ['property route should not exist'] },
      ]),
    );
    expect(res.body.detail).toContain('role');
  });

  it('lists every invalid field', async () => {
    const res = await request(app.getHttpServer())
      .post('/api/v1/probe')
      .send({ name: 7, dose: { mg: 'lots' } })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'dose.mg',
      'name',
    ]);
  });

  it('turns an unhandled exception into INTERNAL without a stack or SQL', async () => {
    const res = await request(app.getHttpServer()).get('/probe/crash').expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const crash = await request(app.getHttpServer()).get('/api/v1/probe/crash').expect(500);
    expect(crash.body).toEqual({
      type: 'urn:hekim:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'INTERNAL',
      requestId: expect.any(String),
    });
    expect(crash.text).not.toMatch(/SELECT|password_hash|\.ts:\d+|at /);
  });
});
