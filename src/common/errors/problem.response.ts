import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ErrorCode } from './error-code';

// The RFC 9457 document every error is rendered as (see ProblemDetailsFilter), for Swagger.
export class ProblemResponse {
  @ApiProperty({ example: 'urn:hekim:problem:unauthorized' })
  type!: string;

  @ApiProperty({ example: 'Unauthorized' })
  title!: string;

  @ApiProperty({ example: 401 })
  status!: number;

  @ApiProperty({ example: 'Authentication is required.' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code!: ErrorCode;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiPropertyOptional({ description: 'Seconds to wait, on RATE_LIMITED answers.' })
  retryAfter?: number;

  @ApiPropertyOptional({
    description: 'Field errors, on VALIDATION_FAILED answers.',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        field: { type: 'string' },
        messages: { type: 'array', items: { type: 'string' } },
      },
    },
  })
  errors?: { field: string; messages: string[] }[];
}

// Documents an error answer of a route with the problem+json schema.
export function ApiProblem(status: number, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemResponse),
    ApiResponse({
      status,
      description,
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponse) } } },
    }),
  );
}
