import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ROLES_KEY } from '../../src/common/auth/authenticated.decorator';
import { IS_PUBLIC } from '../../src/common/auth/public.decorator';
import type { Role } from '../../src/common/auth/role';

export interface RouteAccess {
  method: string;
  path: string;
  handler: string;
  access: 'public' | 'undeclared' | readonly Role[];
  // What the handler reads from the request: the body and query DTO classes (`Object` or a
  // primitive when the handler takes them untyped) and the names of the path parameters.
  // `paramPipes`: the pipes each path parameter names besides the global one.
  inputs: {
    body?: unknown;
    query?: unknown;
    params: string[];
    paramPipes: Record<string, unknown[]>;
  };
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

function join(...parts: (string | undefined)[]): string {
  const path = parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter((p) => p.length > 0)
    .join('/');
  return `/${path}`;
}

// Every HTTP route of the running app with its access declaration, read from the same
// metadata the global guard enforces. Paths are the ones Express really serves.
export function listRoutes(app: NestExpressApplication): RouteAccess[] {
  const modules = app.get(ModulesContainer);
  const scanner = new MetadataScanner();
  const reflector = app.get(Reflector);
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  const served = new Set(
    express.router.stack
      .filter((l) => l.route)
      .flatMap((l) =>
        Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`),
      ),
  );

  const routes: RouteAccess[] = [];
  const controllers = [...modules.values()].flatMap((m) => [...m.controllers.values()]);
  for (const wrapper of controllers) {
    const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!type) continue;
    const base = Reflect.getMetadata(PATH_METADATA, type) as string | undefined;
    for (const name of scanner.getAllMethodNames(type.prototype)) {
      const handler = (type.prototype as Record<string, unknown>)[name] as object;
      const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (sub === undefined || verb === undefined) continue;
      const method = RequestMethod[verb];
      const candidates = [join('api/v1', base, sub), join(base, sub)];
      const path = candidates.find((p) => served.has(`${method} ${p}`)) ?? candidates[0];
      const targets = [handler as () => void, type];
      const isPublic = reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets);
      const roles = reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, targets);
      routes.push({
        method,
        path,
        handler: `${type.name}.${name}`,
        access: isPublic ? 'public' : roles ? [...roles].sort() : 'undeclared',
        inputs: routeInputs(type, name),
      });
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

function routeInputs(type: new (...args: never[]) => object, name: string): RouteAccess['inputs'] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[] }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', type.prototype, name) ?? []) as unknown[];
  const inputs: RouteAccess['inputs'] = { params: [], paramPipes: {} };
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    if (kind === Number(RouteParamtypes.BODY)) inputs.body = types[arg.index];
    if (kind === Number(RouteParamtypes.QUERY)) inputs.query = types[arg.index];
    if (kind === Number(RouteParamtypes.PARAM) && typeof arg.data === 'string') {
      inputs.params.push(arg.data);
      inputs.paramPipes[arg.data] = arg.pipes ?? [];
    }
  }
  return inputs;
}
