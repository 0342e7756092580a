import { SkipThrottle } from '@nestjs/throttler';
import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
// Probes and scrapes are never rate limited: an orchestrator must always get an answer.
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  // Public for Prometheus; METRICS_TOKEN, when set, requires `Authorization: Bearer <token>`.
  @Public()
  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (!this.config.http.metricsEnabled) throw AppException.notFound('The metrics endpoint');
    const token = this.config.http.metricsToken;
    if (token !== undefined) {
      const presented = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
      const expected = Buffer.from(token);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw AppException.unauthorized('A valid metrics token is required.');
      }
    }
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}
