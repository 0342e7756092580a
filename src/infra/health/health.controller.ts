import { SkipThrottle } from '@nestjs/throttler';
import { Controller, Get, HttpCode, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import type { Response } from 'express';
import type { Gauge } from 'prom-client';
import { Public } from '../../common/auth/public.decorator';
import { MetricsService } from '../metrics/metrics.service';
import { KeyValueStore } from '../redis/key-value.store';
import { RedisConnections } from '../redis/redis-connections';
import { LifecycleState } from './lifecycle.state';

const CHECK_TIMEOUT_MS = 1500;

// Terminus' HealthCheckResult, for the API document: each check by name with its status.
const CHECKS = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};
const READINESS_SCHEMA = {
  type: 'object',
  required: ['status', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: CHECKS,
    error: CHECKS,
    details: CHECKS,
  },
};
const READINESS_EXAMPLE = {
  status: 'ok',
  info: {
    lifecycle: { status: 'up' },
    database: { status: 'up' },
    redis: { status: 'up', mode: 'redis' },
  },
  error: {},
  details: {
    lifecycle: { status: 'up' },
    database: { status: 'up' },
    redis: { status: 'up', mode: 'redis' },
  },
};

@ApiTags('ops')
// Probes and scrapes are never rate limited: an orchestrator must always get an answer.
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly store: KeyValueStore,
    private readonly redis: RedisConnections,
    private readonly lifecycle: LifecycleState,
    metrics: MetricsService,
  ) {
    // Alerts tell "PostgreSQL down" from "Redis down" by this gauge; kubelet probes keep it fresh.
    this.dependencyUp = metrics.gauge(
      'hekim_dependency_up',
      'Whether a dependency answered the last readiness check (1) or not (0)',
      ['dependency'],
    );
  }

  private readonly dependencyUp: Gauge<'dependency'>;

  // Liveness never looks at PostgreSQL or Redis: an outage of either must not turn into a
  // restart loop of every Hekim pod.
  @Public()
  @Get('live')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process is up and its event loop answers.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
      example: { status: 'ok' },
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary:
      'Readiness: PostgreSQL and Redis (or the in-process store) answer, and the instance is not draining.',
  })
  @ApiOkResponse({
    description: 'Ready to serve traffic.',
    schema: { ...READINESS_SCHEMA, example: READINESS_EXAMPLE },
  })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down or the instance is shutting down (the same document).',
    schema: READINESS_SCHEMA,
  })
  async ready(@Res() res: Response): Promise<void> {
    try {
      const result: HealthCheckResult = await this.health.check([
        () => this.draining(),
        () => this.db.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
        () => this.redisCheck(),
      ]);
      this.recordDependencies(result);
      res.status(200).json(result);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const body = error.getResponse() as HealthCheckResult;
        this.recordDependencies(body);
        res.status(503).json(body);
        return;
      }
      throw error;
    }
  }

  private recordDependencies(result: HealthCheckResult): void {
    for (const name of ['database', 'redis']) {
      const status = result.details[name]?.status;
      if (status) this.dependencyUp.set({ dependency: name }, status === 'up' ? 1 : 0);
    }
  }

  private draining() {
    const check = this.indicators.check('lifecycle');
    return this.lifecycle.draining ? check.down({ message: 'shutting down' }) : check.up();
  }

  private async redisCheck() {
    const check = this.indicators.check('redis');
    const mode = this.redis.enabled ? 'redis' : 'in-process';
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref(),
        ),
      ]);
      return check.up({ mode });
    } catch (error) {
      return check.down({ mode, message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
