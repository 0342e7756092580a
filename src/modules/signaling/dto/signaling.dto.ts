import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsId } from '../../../common/validation/ids';

// Per-field limits: a real SDP offer is a few KiB, a candidate line a few hundred bytes.
// Anything bigger is refused before it is relayed (the engine's maxHttpBufferSize caps the
// whole message before that).
import { MAX_SDP_LENGTH } from '../../../common/validation/webrtc-limits';
export { MAX_SDP_LENGTH };
export const MAX_CANDIDATE_LENGTH = 1024;

export class RoomPayload {
  @IsId()
  roomId!: string;
}

export class AdmitPayload {
  @IsId()
  roomId!: string;

  @IsId()
  userId!: string;
}

export class QueueNextPayload {
  // Admins only: whose queue.
  @IsOptional()
  @IsId()
  clinicianId?: string;
}

class RelayTarget {
  @IsId()
  roomId!: string;

  @IsId()
  to!: string;

  // Accepted and ignored: the server sets `from` to the authenticated sender, whatever the
  // client claims.
  @IsOptional()
  @IsString()
  @MaxLength(64)
  from?: string;
}

export class SdpPayload extends RelayTarget {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SDP_LENGTH)
  sdp!: string;
}

export class IceCandidateInitDto {
  // An empty string is the end-of-candidates marker.
  @IsString()
  @MaxLength(MAX_CANDIDATE_LENGTH)
  candidate!: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  sdpMid?: string | null;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(255)
  sdpMLineIndex?: number | null;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  usernameFragment?: string | null;
}

export class IceCandidatePayload extends RelayTarget {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => IceCandidateInitDto)
  candidate!: IceCandidateInitDto;
}

export class RefreshPayload {
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token!: string;
}
