import { formatCheckpoint, parseCheckpoint } from '../../../functions/event-exporter/checkpoint';

describe('the checkpoint annotation', () => {
  test('round-trips, keys sorted so an unchanged checkpoint is an unchanged string', () => {
    const text = formatCheckpoint({ shop: '12', '*': '40', billing: '7' });
    expect(text).toBe('{"*":"40","billing":"7","shop":"12"}');
    expect(parseCheckpoint(text)).toEqual({ checkpoint: { '*': '40', billing: '7', shop: '12' } });
  });

  test('absent is no checkpoint; unreadable is no checkpoint with the problem named', () => {
    expect(parseCheckpoint(undefined)).toEqual({ checkpoint: {} });
    expect(parseCheckpoint('[1]')).toEqual({ checkpoint: {}, problem: 'not a JSON object' });
    expect(parseCheckpoint('{"*":5}')).toEqual({ checkpoint: {}, problem: 'scope "*" has no resourceVersion string' });
    expect(parseCheckpoint('{').problem).toBeDefined();
  });
});
