/**
 * The Lua filter that keys log records by <namespace>/<pod>, run by a real Lua 5.1 interpreter
 * (Fluent Bit embeds LuaJIT, which speaks Lua 5.1). Needs `lua5.1` (Debian package lua5.1).
 */
import { execFileSync } from 'child_process';
import { LOG_KEY_FIELD, LOG_KEY_LUA, LOG_KEY_LUA_CALL } from '../../../constructs/shipping/fluent-bit';

function lua(script: string): string {
  return execFileSync('lua5.1', ['-e', script], { encoding: 'utf8' });
}

describe('the log key Lua filter', () => {
  const call = (record: string) =>
    lua(`${LOG_KEY_LUA}\nlocal code, ts, r = ${LOG_KEY_LUA_CALL}("kube.x", 12.5, ${record})\nprint(code, ts, r and r["${LOG_KEY_FIELD}"], r and r["log"])`).trim();

  test('sets <namespace>/<pod> on a record of the kubernetes filter and keeps its timestamp (code 2)', () => {
    expect(call('{ log = "GET /", kubernetes = { namespace_name = "shop", pod_name = "web-1" } }')).toBe('2\t12.5\tshop/web-1\tGET /');
  });

  test('leaves a record without namespace or pod unchanged (code 0: no key, as before)', () => {
    expect(call('{ log = "x", kubernetes = { pod_name = "web-1" } }')).toBe('0\t12.5\tnil\tx');
    expect(call('{ log = "x" }')).toBe('0\t12.5\tnil\tx');
    expect(call('{ log = "x", kubernetes = "odd" }')).toBe('0\t12.5\tnil\tx');
  });
});
