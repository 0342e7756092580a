import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
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
      });
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
