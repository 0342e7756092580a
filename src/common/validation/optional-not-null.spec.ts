import { UpdateRoomRequest } from '../../modules/rooms/dto/room.dto';
import { AdminUpdateUserRequest, UpdateMeRequest } from '../../modules/users/dto/users.dto';
import { ErrorCode } from '../errors/error-code';
import { createValidationPipe } from '../errors/validation';

// Partial updates: leaving a field out changes nothing, but `null` must be refused before it
// reaches a column that cannot be empty (the fuzzer found PATCH /users/me {displayName:null}
// answering 500).
describe('OptionalNotNull on partial updates', () => {
  const pipe = createValidationPipe();
  const body = (metatype: new () => object) => ({ type: 'body' as const, metatype });

  it.each([
    [UpdateMeRequest, { displayName: null }],
    [AdminUpdateUserRequest, { role: null }],
    [AdminUpdateUserRequest, { status: null }],
    [UpdateRoomRequest, { name: null }],
    [UpdateRoomRequest, { waitingRoom: null }],
    [UpdateRoomRequest, { maxParticipants: null }],
  ])('%p refuses %p', async (metatype, value) => {
    await expect(pipe.transform(value, body(metatype))).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
  });

  it('still accepts a field left out, and a room schedule cleared with null', async () => {
    await expect(pipe.transform({}, body(UpdateMeRequest))).resolves.toEqual({});
    await expect(
      pipe.transform({ scheduledFor: null }, body(UpdateRoomRequest)),
    ).resolves.toMatchObject({ scheduledFor: null });
  });
});
