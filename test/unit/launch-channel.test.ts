import { describe, expect, it } from 'vitest';
import { SignalPairing } from '../../src/launch-channel.js';

describe('SignalPairing', () => {
  function pairing() {
    let now = 0;
    const handled: string[] = [];
    const p = new SignalPairing(1000, () => now);
    return {
      at(ms: number) {
        now = ms;
      },
      deliver(signal: 'SIGINT' | 'SIGTERM', route: 'direct' | 'relayed', takesMs = 0) {
        p.deliver(signal, route, () => {
          handled.push(`${signal} ${route}`);
          now += takesMs;
        });
      },
      handled,
    };
  }

  it('takes a signal that came both directly and through the launcher once', () => {
    const s = pairing();
    s.deliver('SIGINT', 'direct');
    s.at(1);
    s.deliver('SIGINT', 'relayed');
    expect(s.handled).toEqual(['SIGINT direct']);
    // The relayed copy first.
    const t = pairing();
    t.deliver('SIGTERM', 'relayed');
    t.deliver('SIGTERM', 'direct');
    expect(t.handled).toEqual(['SIGTERM relayed']);
  });

  it('pairs a copy read only after a long handler (a final SAVE) returned', () => {
    const s = pairing();
    s.deliver('SIGINT', 'direct', 30_000);
    s.at(30_001);
    s.deliver('SIGINT', 'relayed');
    expect(s.handled).toEqual(['SIGINT direct']);
  });

  it('counts a signal sent again as a second one', () => {
    // Twice to the launcher only (kill <pid> twice).
    const s = pairing();
    s.deliver('SIGINT', 'relayed');
    s.deliver('SIGINT', 'relayed');
    expect(s.handled).toEqual(['SIGINT relayed', 'SIGINT relayed']);
    // Ctrl-C twice: each press reaches the server both ways.
    const t = pairing();
    t.deliver('SIGINT', 'direct');
    t.deliver('SIGINT', 'direct');
    t.deliver('SIGINT', 'relayed');
    t.deliver('SIGINT', 'relayed');
    expect(t.handled).toEqual(['SIGINT direct', 'SIGINT direct']);
    // Long after, the other route is a new signal.
    const u = pairing();
    u.deliver('SIGTERM', 'direct');
    u.at(5000);
    u.deliver('SIGTERM', 'relayed');
    expect(u.handled).toEqual(['SIGTERM direct', 'SIGTERM relayed']);
  });

  it('keeps SIGINT and SIGTERM apart', () => {
    const s = pairing();
    s.deliver('SIGINT', 'direct');
    s.deliver('SIGTERM', 'relayed');
    expect(s.handled).toEqual(['SIGINT direct', 'SIGTERM relayed']);
  });
});
