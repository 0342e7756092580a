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

  @ApiProperty({ type: 'integer', example: 401 })
  status!: number;

  @ApiProperty({ example: 'Authentication is required.' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.Unauthorized })
  code!: ErrorCode;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The X-Request-Id of the request, to quote to support.',
    example: 'b3d7c1e0-5d1a-4c55-9a1f-0f6f0e6a2b7c',
  })
  requestId!: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Seconds to wait, on RATE_LIMITED answers.',
    example: 30,
  })
  retryAfter?: number;

  @ApiPropertyOptional({
    description: 'Field errors, on VALIDATION_FAILED answers.',
    example: [{ field: 'name', messages: ['name must be longer than or equal to 1 characters'] }],
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

  @ApiPropertyOptional({
    enum: ['mfa_enrollment_required'],
    description: 'Why, on the MFA_REQUIRED answer of a role that must enrol in MFA first.',
    example: 'mfa_enrollment_required',
  })
  reason?: 'mfa_enrollment_required';
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
