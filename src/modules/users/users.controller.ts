import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblem } from '../../common/errors/problem.response';
import type { AuthUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { CurrentUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { UserResponse } from './dto/user.response';
import {
  AdminUpdateUserRequest,
  CreateUserRequest,
  ListUsersQuery,
  UpdateMeRequest,
  UserListResponse,
} from './dto/users.dto';
import { UsersService } from './users.service';
import { IdPipe } from '../../common/validation/ids';

const uuid = new IdPipe('4');

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ operationId: 'getMe', summary: 'The caller’s own user record' })
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: AuthUser): Promise<UserResponse> {
    return this.users.me(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({
    operationId: 'updateMe',
    summary: 'Change the caller’s display name (role, status and unknown fields are refused)',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  updateMe(
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateMeRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.updateMe(user, body, meta);
  }

  @Post()
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({ operationId: 'createUser', summary: 'Create a user of any role (admin)' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblem(400, 'Invalid fields or a password the policy refuses.')
  @ApiProblem(409, 'The e-mail address is taken (CONFLICT).')
  create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateUserRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.adminCreate(user, body, meta);
  }

  @Get()
  @Authenticated({ roles: [Role.Admin, Role.Doctor] })
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'List users (admin: everyone; doctor: patients sharing a room with the doctor)',
  })
  @ApiOkResponse({ type: UserListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListUsersQuery,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserListResponse> {
    return this.users.list(user, query, meta);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({
    operationId: 'getUser',
    summary: 'One user (themselves, admins, and people sharing a consultation room)',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such user, or not visible to the caller (NOT_FOUND).')
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.get(user, id, meta);
  }

  @Patch(':id')
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change a user’s role or status (admin); ends their sessions',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblem(400, 'Invalid id or fields (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such user (NOT_FOUND).')
  @ApiProblem(409, 'The last active admin cannot be demoted (CONFLICT).')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Body() body: AdminUpdateUserRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.adminUpdate(user, id, body, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'deactivateUser',
    summary: 'Deactivate a user (admin); ends their sessions at once',
  })
  @ApiNoContentResponse({ description: 'Deactivated.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such user (NOT_FOUND).')
  @ApiProblem(409, 'The last active admin cannot be deactivated (CONFLICT).')
  deactivate(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.users.deactivate(user, id, meta);
  }
}
