import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOperation,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import {
  AddMemberRequest,
  CreateRoomRequest,
  ListRoomsQuery,
  RoomListResponse,
  RoomResponse,
  UpdateRoomRequest,
} from './dto/room.dto';
import { RoomsService } from './rooms.service';
import { IdPipe } from '../../common/validation/ids';

// Ids of any UUID version, canonicalized (docs/access-model.md, "Input").
const anyId = new IdPipe('all');

// Only doctors and admins can be hosts; the service checks that the caller hosts this room.
const MANAGERS = [Role.Doctor, Role.Admin];

@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiOperation({
    operationId: 'createRoom',
    summary:
      'Create a room; the caller hosts it. Patients among memberIds are invited (they accept or decline); others are active members.',
  })
  @ApiCreatedResponse({ type: RoomResponse })
  @ApiProblem(400, 'Invalid fields or an unknown member id (VALIDATION_FAILED).')
  create(@CurrentUser() user: AuthUser, @Body() body: CreateRoomRequest): Promise<RoomResponse> {
    return this.rooms.create(user, body);
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'listRooms',
    summary:
      'The caller’s rooms, invitations included (their own member entry says `invited`); all rooms for admins',
  })
  @ApiOkResponse({
    type: RoomListResponse,
    description: 'The caller’s rooms; all rooms for admins.',
  })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(@CurrentUser() user: AuthUser, @Query() query: ListRoomsQuery): Promise<RoomListResponse> {
    return this.rooms.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({
    operationId: 'getRoom',
    summary: 'One room with its members (members of the room, admins)',
  })
  @ApiOkResponse({ type: RoomResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such room, or the caller is not a member.')
  get(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<RoomResponse> {
    return this.rooms.get(user, id);
  }

  @Patch(':id')
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'updateRoom',
    summary: 'Change a room’s name, waiting room, size or schedule (host, admin)',
  })
  @ApiOkResponse({ type: RoomResponse })
  @ApiProblem(400, 'Invalid id, or invalid or unknown fields (VALIDATION_FAILED).')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', anyId) id: string,
    @Body() body: UpdateRoomRequest,
  ): Promise<RoomResponse> {
    return this.rooms.update(user, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'closeRoom',
    summary: 'Close a room (host, admin); it can no longer be joined',
  })
  @ApiNoContentResponse({ description: 'The room is closed.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  close(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<void> {
    return this.rooms.close(user, id);
  }

  @Post(':id/members')
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'addRoomMember',
    summary: 'Add a member (host, admin); a patient is invited, clinicians and admins are active',
  })
  @ApiCreatedResponse({ type: RoomResponse })
  @ApiProblem(400, 'Invalid id, or invalid or unknown fields (VALIDATION_FAILED).')
  addMember(
    @CurrentUser() user: AuthUser,
    @Param('id', anyId) id: string,
    @Body() body: AddMemberRequest,
  ): Promise<RoomResponse> {
    return this.rooms.addMember(user, id, body);
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'acceptRoomInvitation',
    summary:
      'Accept an invitation to the room (the invited patient): the membership becomes active and a care relationship begins with each clinician active in the room now',
  })
  @ApiOkResponse({ type: RoomResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such room, or no invitation to it for the caller (NOT_FOUND).')
  @ApiProblem(409, 'The room is closed (CONFLICT).')
  accept(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<RoomResponse> {
    return this.rooms.accept(user, id);
  }

  @Post(':id/decline')
  @HttpCode(204)
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'declineRoomInvitation',
    summary: 'Decline an invitation to the room (the invited patient)',
  })
  @ApiNoContentResponse({ description: 'The invitation is gone.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such room, or no invitation to it for the caller (NOT_FOUND).')
  @ApiProblem(409, 'The membership was already accepted (CONFLICT).')
  decline(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<void> {
    return this.rooms.decline(user, id);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'removeRoomMember',
    summary:
      'Remove a member (host, admin). A member joined right now is evicted at once: their sockets get `room:removed`.',
  })
  @ApiNoContentResponse()
  @ApiProblem(400, 'An id is not a UUID (VALIDATION_FAILED).')
  removeMember(
    @CurrentUser() user: AuthUser,
    @Param('id', anyId) id: string,
    @Param('userId', anyId) userId: string,
  ): Promise<void> {
    return this.rooms.removeMember(user, id, userId);
  }
}
