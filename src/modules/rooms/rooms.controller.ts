import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import {
  AddMemberRequest,
  CreateRoomRequest,
  ListRoomsQuery,
  RoomListResponse,
  RoomResponse,
  UpdateRoomRequest,
} from './dto/room.dto';
import { RoomsService } from './rooms.service';

// Only doctors and admins can be hosts; the service checks that the caller hosts this room.
const MANAGERS = [Role.Doctor, Role.Admin];

@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiCreatedResponse({ type: RoomResponse })
  create(@CurrentUser() user: AuthUser, @Body() body: CreateRoomRequest): Promise<RoomResponse> {
    return this.rooms.create(user, body);
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({
    type: RoomListResponse,
    description: 'The caller’s rooms; all rooms for admins.',
  })
  list(@CurrentUser() user: AuthUser, @Query() query: ListRoomsQuery): Promise<RoomListResponse> {
    return this.rooms.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: RoomResponse })
  @ApiNotFoundResponse({ description: 'No such room, or the caller is not a member.' })
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<RoomResponse> {
    return this.rooms.get(user, id);
  }

  @Patch(':id')
  @Authenticated({ roles: MANAGERS })
  @ApiOkResponse({ type: RoomResponse })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateRoomRequest,
  ): Promise<RoomResponse> {
    return this.rooms.update(user, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: MANAGERS })
  @ApiNoContentResponse({ description: 'The room is closed.' })
  close(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.rooms.close(user, id);
  }

  @Post(':id/members')
  @Authenticated({ roles: MANAGERS })
  @ApiCreatedResponse({ type: RoomResponse })
  addMember(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AddMemberRequest,
  ): Promise<RoomResponse> {
    return this.rooms.addMember(user, id, body);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @Authenticated({ roles: MANAGERS })
  @ApiNoContentResponse()
  removeMember(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<void> {
    return this.rooms.removeMember(user, id, userId);
  }
}
