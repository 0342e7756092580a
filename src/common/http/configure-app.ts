import { RequestMethod } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { AppConfig } from '../../config/app-config';
import { answerClientError } from './client-error';
import { refuseDeepJson } from './json-depth';

export const API_PREFIX = 'api/v1';

// Routes that live outside /api/v1 (docs/contract.md).
const UNPREFIXED = ['health/live', 'health/ready', 'metrics', 'demo', 'demo/{*path}'];

// Everything about the HTTP surface that is not a route: prefix, security headers, CORS, body
// limits, proxies, Swagger. Shared by main.ts and the e2e tests so they run the same app.
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: UNPREFIXED.map((path) => ({ path, method: RequestMethod.ALL })),
  });
  app.useBodyParser('json', {
    limit: config.http.bodyLimitBytes,
    strict: true,
    verify: refuseDeepJson,
  });
  app.getHttpServer().on('clientError', answerClientError);
  if (config.trustProxy) app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.disable('x-powered-by');

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'", 'ws:', 'wss:'],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );

  // Browsers get CORS headers only for listed origins; requests without an Origin (mobile
  // apps, curl) are not affected by CORS at all.
  const allowed = new Set(config.http.corsOrigins);
  app.enableCors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Disposition'],
    maxAge: 600,
  });

  if (config.http.docsEnabled) setupSwagger(app, config);
}

export function buildOpenApiDocument(
  app: NestExpressApplication,
  config: AppConfig,
): OpenAPIObject {
  const document = new DocumentBuilder()
    .setTitle('Hekim API')
    .setDescription(
      'Tele-medicine consultation backend: identity, consultation rooms and sessions, direct calls, ' +
        'TURN credentials and the audit trail. Errors are RFC 9457 application/problem+json with a `code`. ' +
        'WebRTC signaling runs over Socket.IO on the /signaling namespace (see docs/signaling.md). ' +
        'Conventions of this document (operation ids, envelopes): docs/api.md.',
    )
    .setVersion(config.version)
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    // Paths carry their /api/v1 prefix, so the server is the origin serving this document.
    .addServer('/', 'The Hekim instance serving this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  return finishDocument(SwaggerModule.createDocument(app, document));
}

// Two things the decorators cannot say (docs/api.md, "Rules the document keeps"):
// - a public route declares `security: []`. @Authenticated() puts the bearer requirement on
//   every other route, and test/security/openapi.e2e-spec.ts holds the two together;
// - an enum property is a plain $ref; @nestjs/swagger wraps it in a one-member allOf, which
//   generators turn into needless intersections. A nullable $ref keeps its allOf: in OpenAPI
//   3.0 that is the only way to say "this schema or null".
function finishDocument(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation && operation.security === undefined) operation.security = [];
    }
  }
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    if (!('properties' in schema) || !schema.properties) continue;
    for (const [name, property] of Object.entries(schema.properties)) {
      if ('allOf' in property && property.allOf?.length === 1 && !property.nullable) {
        const { allOf, ...rest } = property;
        schema.properties[name] = Object.keys(rest).length === 0 ? allOf[0] : property;
      }
    }
  }
  return document;
}

function setupSwagger(app: NestExpressApplication, config: AppConfig): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    useGlobalPrefix: false,
  });
}
