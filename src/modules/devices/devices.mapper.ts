import type { DeviceResponse } from './dto/device.dto';
import type { PushDeviceEntity } from './push-device.entity';

// Never the token itself: a hint to tell devices apart.
export function toDeviceResponse(d: PushDeviceEntity): DeviceResponse {
  return {
    id: d.id,
    platform: d.platform,
    voip: d.voip,
    hint: d.platform === 'web' ? new URL(d.token).host : `…${d.token.slice(-8)}`,
    createdAt: d.createdAt.toISOString(),
  };
}
