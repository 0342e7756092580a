import type { LoggerService } from '@nestjs/common';
import { QuietFrameworkLogger } from './quiet-framework-logger';

function recorder(): { calls: [string, unknown, unknown[]][]; logger: LoggerService } {
  const calls: [string, unknown, unknown[]][] = [];
  const at =
    (level: string) =>
    (message: unknown, ...params: unknown[]) =>
      calls.push([level, message, params]);
  return {
    calls,
    logger: {
      log: at('info'),
      error: at('error'),
      warn: at('warn'),
      debug: at('debug'),
      verbose: at('verbose'),
      fatal: at('fatal'),
    },
  };
}

describe('QuietFrameworkLogger', () => {
  it("moves Nest's wiring announcements to debug and keeps the application's lines", () => {
    const { calls, logger } = recorder();
    const quiet = new QuietFrameworkLogger(logger);
    quiet.log('AuthModule dependencies initialized', 'InstanceLoader');
    quiet.log('Mapped {/api/v1/rooms, GET} route', 'RouterExplorer');
    quiet.log('created the first admin account admin@hekim.local', 'Bootstrap');
    quiet.warn('Unsupported route path', 'LegacyRouteConverter');
    quiet.error('boom', 'stack', 'RoutesResolver');
    expect(calls.map(([level, , params]) => [level, params.at(-1)])).toEqual([
      ['debug', 'InstanceLoader'],
      ['debug', 'RouterExplorer'],
      ['info', 'Bootstrap'],
      ['warn', 'LegacyRouteConverter'],
      ['error', 'RoutesResolver'],
    ]);
  });
});
