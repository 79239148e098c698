import { Logger } from '../../../functions/runtime/logger';

describe('logger', () => {
  test('lines are JSON with time, level, message, bound and call fields; errors are objects', () => {
    const lines: string[] = [];
    const logger = new Logger('info', { workload: 'w' }, (l) => lines.push(l)).child({ component: 'c' });
    logger.debug('hidden');
    logger.warn('careful', { n: 1, error: Object.assign(new Error('bad'), { type: 'MESSAGE_TOO_LARGE' }) });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'warn', msg: 'careful', workload: 'w', component: 'c', n: 1, error: { name: 'Error', message: 'bad', type: 'MESSAGE_TOO_LARGE' } });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });
});
