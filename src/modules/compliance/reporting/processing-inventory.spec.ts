import { Processor } from '../../../common/personal-data/processing';
import { processorOf } from './processing-inventory';

describe('processing inventory: providers and transfers abroad', () => {
  it('uses the declared country, else a known provider, else says it does not know', () => {
    expect(processorOf(Processor.Smtp, ['mail.example.tr:465'], { smtp: 'TR' }, 'TR')).toEqual({
      processor: Processor.Smtp,
      hosts: ['mail.example.tr:465'],
      country: 'TR',
      transferAbroad: false,
    });
    expect(
      processorOf(Processor.Push, ['api.push.apple.com', 'fcm.googleapis.com'], {}, 'TR'),
    ).toMatchObject({ country: 'US', transferAbroad: true });
    expect(
      processorOf(Processor.Push, ['api.push.apple.com', 'push.example.org'], {}, 'TR'),
    ).toMatchObject({ country: null, transferAbroad: null });
    expect(processorOf(Processor.Siem, [], { siem: 'DE' }, 'TR')).toMatchObject({
      transferAbroad: false,
    });
  });
});
