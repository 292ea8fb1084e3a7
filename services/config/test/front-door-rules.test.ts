import { clientKey, throttleVerdict } from '../src/http/sign-in-throttle';
import { clientAddress, parseTrustedProxies } from '../src/http/trusted-proxies';

// The front door's rules, without I/O: which address is the client, and whether its token may be
// checked. The started service's tests (trusted-proxies, sign-in-throttle) show them at work.

const { proxies: ingress } = parseTrustedProxies('10.0.0.0/8,fc00::/7');

test.each([
  [
    'an untrusted peer: its own address, whatever the header says',
    '198.51.100.1',
    '203.0.113.9',
    '198.51.100.1',
  ],
  ['a trusted peer without the header: the peer', '10.1.2.3', '', '10.1.2.3'],
  ['a trusted peer: the address it appended', '10.1.2.3', '203.0.113.9', '203.0.113.9'],
  ['entries the client wrote itself are passed over', '10.1.2.3', '1.1.1.1, 203.0.113.9', '203.0.113.9'],
  ['trusted hops are walked through', '10.1.2.3', '1.1.1.1, 203.0.113.9, 10.9.9.9', '203.0.113.9'],
  ['an unreadable entry ends the walk at the last trusted hop', '10.1.2.3', 'nonsense, 10.9.9.9', '10.9.9.9'],
  ['a port and an IPv4-mapped peer are read plainly', '::ffff:10.1.2.3', '203.0.113.9:4711', '203.0.113.9'],
  ['IPv6 proxies and clients', 'fd00::1', '[2001:db8::7]', '2001:db8::7'],
])('client address: %s', (_what, peer, forwardedFor, client) => {
  expect(clientAddress(peer, forwardedFor, ingress)).toBe(client);
});

test('TRUSTED_PROXIES: ranges, single addresses and none; anything else is named by position', () => {
  const { proxies, problems } = parseTrustedProxies(' 127.0.0.1 , 192.168.0.0/16,::1');
  expect(problems).toEqual([]);
  expect(proxies.ranges).toEqual(['127.0.0.1/32', '192.168.0.0/16', '::1/128']);
  expect(['127.0.0.1', '192.168.4.5', '::1', '::ffff:127.0.0.1'].every((a) => proxies.has(a))).toBe(true);
  expect(['127.0.0.2', '10.0.0.1', 'not-an-address'].some((a) => proxies.has(a))).toBe(false);
  expect(parseTrustedProxies('none').proxies.ranges).toEqual([]);
  expect(parseTrustedProxies('10.0.0.0/8,ingress,10.0.0.0/,10.0.0.0/33,::/129,1.2.3.4/8/8').problems).toEqual(
    [2, 3, 4, 5, 6].map((n) => `entry ${n} is not an address or CIDR range (like 10.0.0.0/8 or fc00::/7)`),
  );
});

test.each([
  ['203.0.113.9', 'client:203.0.113.9'],
  ['2001:db8:1:2:3:4:5:6', 'client:2001:db8:1:2::/64'],
  ['2001:db8:1:2::99', 'client:2001:db8:1:2::/64'],
  ['2001:DB8::1', 'client:2001:db8:0:0::/64'],
  ['::1', 'client:0:0:0:0::/64'],
])('an IPv6 client is its /64: %s counts as %s', (address, key) => {
  expect(clientKey(address)).toBe(key);
});

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const limits = { perClient: 3, perTokenName: 10 };

test.each([
  ['no count: checked', undefined, undefined, { allowed: true }],
  [
    'under its own limit: checked',
    { count: 2, until: at(30) },
    { count: 2, until: at(40) },
    { allowed: true },
  ],
  [
    'at its own limit: held until its window ends',
    { count: 3, until: at(30) },
    { count: 3, until: at(40) },
    { allowed: false, retryAt: at(30), limit: 'client' },
  ],
  [
    'every name at its limit, the client with a wrong token: held until the earlier window ends',
    { count: 1, until: at(30) },
    { count: 10, until: at(20) },
    { allowed: false, retryAt: at(20), limit: 'token_name' },
  ],
  [
    'every name at its limit, the client without a wrong token: checked',
    undefined,
    { count: 50, until: at(20) },
    { allowed: true },
  ],
])('throttle: %s', (_what, client, everyName, verdict) => {
  expect(throttleVerdict(client, everyName, limits)).toEqual(verdict);
});
