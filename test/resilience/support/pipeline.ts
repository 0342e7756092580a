import type { ArgumentMetadata, PipeTransform, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppException } from '../../../src/common/errors/app.exception';
import { ErrorCode } from '../../../src/common/errors/error-code';
import { toProblem } from '../../../src/common/errors/problem-details.filter';
import { createValidationPipe } from '../../../src/common/errors/validation';
import { refuseDeepJson } from '../../../src/common/http/json-depth';
import { validateEventPayload } from '../../../src/modules/signaling/event-payload';
import type { RouteAccess } from '../../support/routes';
import { PROBLEM_CODES, problemViolation } from './hostile';

// The in-process tier of the fuzzers (docs/resilience.md, "How the fuzzers work"): a case
// goes through the same pieces of code a request or an event meets before any service runs,
// taken from the app itself, without a socket in between:
//   REST: body-parser's depth check (`refuseDeepJson`) and strict JSON, the app's own query
//   parser, the global `AppValidationPipe` on the body, query and each path parameter, the
//   parameter's own pipes (`ParseUUIDPipe`), and `toProblem`, the ProblemDetailsFilter's
//   mapping of whatever was thrown;
//   signaling: `validateEventPayload`, the gateway's check of every event payload.
// What it does not cover (authentication, the services, PostgreSQL, Redis, the wire) is the
// end-to-end tier's job.

export interface RestInput {
  params: Record<string, string>;
  query: string;
  body?: { text: string; type: string };
}

// What the pipeline made of a case: passed (the handler would run), or the problem it threw.
export type Verdict = { passed: true } | { passed: false; status: number; code: string };

export class RestPipeline {
  private readonly pipe = createValidationPipe();
  private readonly parseQuery: (q: string) => unknown;

  constructor(app: NestExpressApplication) {
    const express = app.getHttpAdapter().getInstance() as { get(name: string): unknown };
    this.parseQuery = express.get('query parser fn') as (q: string) => unknown;
  }

  // Throws when the outcome would not be a 2xx or a problem+json 4xx.
  async check(route: RouteAccess, input: RestInput): Promise<Verdict> {
    try {
      await this.run(route, input);
      return { passed: true };
    } catch (err) {
      const { problem } = toProblem(err, 'fuzz');
      const violation = problemViolation(
        problem.status,
        'application/problem+json',
        JSON.stringify(problem),
      );
      if (violation) throw new Error(`${violation}: ${describe(err)}`, { cause: err });
      return { passed: false, status: problem.status, code: problem.code };
    }
  }

  private async run(route: RouteAccess, input: RestInput): Promise<void> {
    for (const name of route.inputs.params) {
      let value: string;
      try {
        value = decodeURIComponent(input.params[name]);
      } catch {
        // Express's router answers a parameter it cannot decode with a 400.
        throw badRequest('Failed to decode param');
      }
      let out = await this.transform(value, { type: 'param', metatype: String, data: name });
      for (const pipe of route.inputs.paramPipes[name] ?? [])
        out = await pipeOf(pipe).transform(out, { type: 'param', metatype: String, data: name });
    }
    if (route.inputs.query !== undefined)
      await this.transform(this.parseQuery(input.query), {
        type: 'query',
        metatype: route.inputs.query as Type<unknown>,
      });
    if (route.inputs.body !== undefined)
      await this.transform(parseBody(input.body), {
        type: 'body',
        metatype: route.inputs.body as Type<unknown>,
      });
  }

  private transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return Promise.resolve(this.pipe.transform(value, metadata));
  }
}

// body-parser's json parser as the app configures it (strict, `refuseDeepJson` as verify).
// A body of another media type is left unparsed, as Express leaves it.
function parseBody(body: RestInput['body']): unknown {
  if (body === undefined || body.type !== 'application/json') return undefined;
  const buf = Buffer.from(body.text);
  try {
    refuseDeepJson(undefined, undefined, buf);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  const text = buf.toString();
  // JSON's whitespace is space, tab, line feed and carriage return.
  const first = text.replace(/^[ \t\n\r]+/, '').charAt(0);
  if (first !== '{' && first !== '[') throw badRequest('strict JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Unexpected token');
  }
}

// How body-parser reports a body it refused: the shape ProblemDetailsFilter maps to a 400.
function badRequest(message: string): Error {
  return Object.assign(new Error(message), {
    status: 400,
    statusCode: 400,
    expose: true,
    type: 'entity.parse.failed',
  });
}

function pipeOf(pipe: unknown): PipeTransform {
  return typeof pipe === 'function'
    ? new (pipe as new () => PipeTransform)()
    : (pipe as PipeTransform);
}

// The signaling payload check, as the gateway runs it; `INTERNAL` or an unknown code fails.
export class EventPipeline {
  private readonly pipe = createValidationPipe();

  async check(dto: Type<object>, args: readonly unknown[]): Promise<Verdict> {
    try {
      await validateEventPayload(this.pipe, dto, args[0]);
      return { passed: true };
    } catch (err) {
      if (!(err instanceof AppException))
        throw new Error(`not an error ack: ${describe(err)}`, { cause: err });
      if (err.code === ErrorCode.Internal || !PROBLEM_CODES.has(err.code))
        throw new Error(`error ack with code ${err.code}: ${err.detail}`, { cause: err });
      return { passed: false, status: err.status, code: err.code };
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
