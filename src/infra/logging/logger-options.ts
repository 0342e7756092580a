import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { REDACTED, redactPaths, stripQueryValues } from './redaction';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// A client-supplied X-Request-Id is kept when it is a sane token (so traces join up across
// services); anything else is replaced, so log lines cannot be forged through the header.
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

export function pinoBaseOptions(config: Pick<AppConfig, 'log'>): LoggerOptions {
  return {
    level: config.log.level,
    redact: { paths: redactPaths(), censor: REDACTED },
    base: { service: 'hekim' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
}

const QUIET_PATHS = ['/health/live', '/health/ready', '/metrics'];

export function loggerParams(config: Pick<AppConfig, 'log'>): Params {
  return {
    // Every route, in the router's current wildcard syntax (nestjs-pino's default, `*`, is the
    // old one, which Nest converts with a warning at every start).
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      ...pinoBaseOptions(config),
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (req: IncomingMessage) => ({
        requestId: (req as IncomingMessage & { id?: string }).id,
      }),
      autoLogging: {
        ignore: (req: IncomingMessage) => QUIET_PATHS.includes((req.url ?? '').split('?')[0]),
      },
      serializers: {
        req: (req: {
          id?: string;
          method?: string;
          url?: string;
          remoteAddress?: string;
          headers?: Record<string, unknown>;
        }) => ({
          id: req.id,
          method: req.method,
          url: stripQueryValues(req.url ?? ''),
          remoteAddress: req.remoteAddress,
          userAgent: req.headers?.['user-agent'],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
