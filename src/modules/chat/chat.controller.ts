import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import contentDisposition from 'content-disposition';
import type { Response } from 'express';
import { type AuthUser, CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { ALL_ROLES, Role } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { IdPipe } from '../../common/validation/ids';
import { AttachmentsService, type UploadedFile as Upload } from './attachments/attachments.service';
import { ChatService } from './chat.service';
import {
  ChatAttachmentSummary,
  ChatMessageListResponse,
  ChatRoomSettings,
  ListMessagesQuery,
  UpdateChatSettingsRequest,
} from './dto/chat.dto';

// The chat's REST side (docs/chat.md): history, the room's chat setting, files. Messages are
// sent over signaling (`chat:send`). Every role may call these; the chat's one record-level
// check (ChatAccess) decides.

// Everyone the room's membership admits takes part, an invitation's guest included (its grant
// reaches its one room, docs/appointments.md, "Invitations"); ChatAccess decides per room.
const CHAT_ROLES: readonly Role[] = ALL_ROLES;

@ApiTags('chat')
@Controller()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly attachments: AttachmentsService,
  ) {}

  @Get('rooms/:id/messages')
  @Authenticated({ roles: CHAT_ROLES })
  @ApiOperation({
    operationId: 'listRoomMessages',
    summary: 'A room’s chat history, newest first (members; audited, docs/chat.md)',
  })
  @ApiOkResponse({ type: ChatMessageListResponse })
  @ApiProblem(400, 'Invalid id or query (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such room, or the caller is not a member (NOT_FOUND).')
  messages(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe()) roomId: string,
    @Query() query: ListMessagesQuery,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ChatMessageListResponse> {
    return this.chat.history(user, roomId, query, meta);
  }

  @Get('rooms/:id/chat')
  @Authenticated({ roles: CHAT_ROLES })
  @ApiOperation({
    operationId: 'getRoomChat',
    summary: 'The room’s chat setting and each member’s read receipt (members)',
  })
  @ApiOkResponse({ type: ChatRoomSettings })
  @ApiProblem(404, 'No such room, or the caller is not a member (NOT_FOUND).')
  settings(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe()) roomId: string,
  ): Promise<ChatRoomSettings> {
    return this.chat.settings(user, roomId);
  }

  @Put('rooms/:id/chat')
  // Hosts are clinicians or admins (as for PATCH /rooms/:id); the service checks the host.
  @Authenticated({ roles: [Role.Admin, Role.Doctor] })
  @ApiOperation({
    operationId: 'updateRoomChat',
    summary: 'Let people in the waiting room chat, or not (host, admin; audited)',
  })
  @ApiOkResponse({ type: ChatRoomSettings })
  @ApiProblem(400, 'Invalid body (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such room, or the caller is not a member (NOT_FOUND).')
  async updateSettings(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe()) roomId: string,
    @Body() body: UpdateChatSettingsRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ChatRoomSettings> {
    return this.chat.updateSettings(user, roomId, body.waitingMayChat, meta);
  }

  @Post('rooms/:id/attachments')
  @HttpCode(201)
  @Authenticated({ roles: CHAT_ROLES })
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({
    operationId: 'uploadRoomAttachment',
    summary:
      'Store a JPEG, PNG or PDF for the room’s chat (judged by content, image metadata stripped; members; audited)',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: ChatAttachmentSummary })
  @ApiProblem(
    400,
    'No file, an unsupported type, a damaged file or active content (VALIDATION_FAILED with `reason`).',
  )
  @ApiProblem(404, 'No such room, or the caller is not a member (NOT_FOUND).')
  @ApiProblem(413, 'Larger than ATTACHMENT_MAX_BYTES, or too many pixels (PAYLOAD_TOO_LARGE).')
  async upload(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe()) roomId: string,
    @UploadedFile() file: Upload | undefined,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ChatAttachmentSummary> {
    return this.attachments.upload(user, roomId, file, meta);
  }

  @Get('attachments/:id')
  @Authenticated({ roles: CHAT_ROLES })
  @ApiOperation({
    operationId: 'downloadAttachment',
    summary: 'Download a chat file, always as an attachment (members; every download audited)',
  })
  @ApiProduces('image/jpeg', 'image/png', 'application/pdf')
  @ApiOkResponse({ description: 'The file’s bytes.' })
  @ApiProblem(404, 'No such file, not a member of its room, or erased (NOT_FOUND).')
  async download(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const file = await this.attachments.download(user, id, meta);
    // Never rendered by the browser in our origin: a download, its type as judged, no sniffing.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    return new StreamableFile(file.bytes, {
      type: file.contentType,
      length: file.bytes.length,
      disposition: contentDisposition(file.name, { type: 'attachment' }),
    });
  }
}
