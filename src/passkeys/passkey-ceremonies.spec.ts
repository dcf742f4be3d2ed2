import type { ConfigType } from '@nestjs/config';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import type { webauthnConfig } from 'src/config/webauthn.config';
import {
  announcePasskey,
  ensurePasskeysEnabled,
  startCeremony,
} from './passkey-ceremonies';
import type { PasskeysRepository, StoredPasskey } from './passkeys.repository';

const NOW = new Date('2026-12-03T12:00:00.000Z');

function config(
  overrides: Partial<ConfigType<typeof webauthnConfig>> = {},
): ConfigType<typeof webauthnConfig> {
  return {
    enabled: true,
    rpId: 'localhost',
    rpName: 'Gatehouse',
    origins: ['http://localhost:3000'],
    ceremonyTtlSeconds: 300,
    ...overrides,
  };
}

describe('passkey ceremonies', () => {
  it('refuses every ceremony while passkeys are off', () => {
    expect(() => ensurePasskeysEnabled(config({ enabled: false }))).toThrow(
      expect.objectContaining({ code: 'PASSKEYS.FEATURES_OFF' }),
    );
    expect(() => ensurePasskeysEnabled(config())).not.toThrow();
  });

  it('holds the challenge until now plus the ceremony lifetime, for the user it was started for', async () => {
    const createCeremony = jest.fn().mockResolvedValue('ceremony-1');
    const clock = new Clock();
    jest.spyOn(clock, 'now').mockReturnValue(NOW);

    const id = await startCeremony(
      {
        repository: { createCeremony } as unknown as PasskeysRepository,
        clock,
        config: config({ ceremonyTtlSeconds: 90 }),
      },
      'second_factor',
      'user-1',
      'challenge-1',
    );

    expect(id).toBe('ceremony-1');
    expect(createCeremony).toHaveBeenCalledWith({
      kind: 'second_factor',
      userId: 'user-1',
      challenge: 'challenge-1',
      createdAt: NOW,
      expiresAt: new Date('2026-12-03T12:01:30.000Z'),
    });
  });

  it('announces which passkey of which user was used, from where and for what', () => {
    const emit = jest.fn();
    const client = { ip: '192.0.2.1', userAgent: 'test' };

    announcePasskey(
      { emit } as unknown as EventEmitter2,
      'passkey.used',
      { id: 'pk-1', userId: 'user-1' } as StoredPasskey,
      client,
      'login',
    );

    expect(emit).toHaveBeenCalledWith('passkey.used', {
      userId: 'user-1',
      passkeyId: 'pk-1',
      client,
      purpose: 'login',
    });
  });
});
