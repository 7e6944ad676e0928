import type { ServerId } from '../core/types.ts';
import type { RedisConnection } from './redis.ts';
import {
  keyRefusal,
  refuse,
  refusals,
  type ClaimRequest,
  type ClaimResult,
  type ClusterView,
  type FreedSeat,
  type Holder,
  type SeatTable,
  type SeatTableOptions,
  type SeatTableStats,
} from './seats.ts';

/**
 * The seat table shared by several signaling servers through Redis.
 *
 * Keys (under `prefix`, `tabkeeper:` by default):
 *   cluster:<name>  hash   size, maxSeat, keyHash ('' for none)
 *   seats:<name>    hash   seat -> "<serverId> <socketId>", or "~orphan <ms>" (reserved, below)
 *   tokens:<name>   hash   seat -> SHA-256 of its seat token (seat-ownership.ts)
 *   clusters        set    names of clusters, for upkeep and /health
 *   empty           zset   names of clusters with no seat held, scored by when they emptied:
 *                          which to forget first when `maxClusters` are remembered
 *   server:<id>     string liveness mark of one signaling server, with a TTL
 *
 * Every decision (claim, release, freeing dead holders) is one Lua script, so it is atomic
 * across servers: two servers can never both grant one seat.
 *
 * Why a TTL on each *server* rather than on each seat: a seat is held by a socket, and a socket
 * lives exactly as long as its server process does (its disconnect releases the seat at once).
 * So the only case the TTL must cover is a server that dies without releasing, and one mark
 * per server, refreshed every third of its TTL, covers all its seats at the cost of one SET per
 * server instead of one per seat. A holder whose server mark has expired (or was removed by a
 * graceful shutdown, which leaves its seats in place) is gone, but its tab is probably alive and
 * reconnecting through another server: the seat stays reserved for its token. The periodic sweep
 * turns such a holder into "~orphan <ms>", and frees the seat (telling its room, `peer-left`)
 * once `seatGraceMs` has passed without the tab reclaiming it.
 * If a server finds at refresh time that its own mark had expired (a long stall, a Redis
 * outage), its seats may already have been granted elsewhere, so it fences itself: it
 * disconnects every socket it seats (`onLivenessLost`), and those tabs rejoin.
 */
export interface RedisSeatTableOptions extends SeatTableOptions {
  readonly serverId: string;
  readonly livenessMs: number;
  readonly prefix?: string;
  readonly onLivenessLost: () => void;
  readonly onError: (error: Error) => void;
}

// Shared Lua helpers: a holder is live while its server's mark exists.
const LUA_HELPERS = `
local function holder_live(prefix, holder)
  local server = string.match(holder, '^(%S+) ')
  return server ~= nil and redis.call('EXISTS', prefix .. 'server:' .. server) == 1
end
-- 'live', 'reserved' (its server is gone, or an orphan within the grace) or 'free'.
local function seat_state(prefix, entry, now, grace)
  local since = string.match(entry, '^~orphan (%d+)$')
  if since ~= nil then
    if now - tonumber(since) >= grace then return 'free' end
    return 'reserved'
  end
  if holder_live(prefix, entry) then return 'live' end
  return 'reserved'
end
local function live_seats(prefix, seats_key)
  local flat = redis.call('HGETALL', seats_key)
  local live = {}
  for i = 1, #flat, 2 do
    if holder_live(prefix, flat[i + 1]) then live[#live + 1] = tonumber(flat[i]) end
  end
  table.sort(live)
  return live
end
`;

/**
 * KEYS: cluster, seats, clusters, tokens, empty. ARGV: name, size ('' = default), defaultSize,
 * maxObservers, keyHash ('' = none), seat ('' = lowest free), holder, prefix, tokenHash,
 * tokenPresented ('1' / '0'), nowMs, graceMs, maxClusters.
 * Returns JSON: {seat, size, peers, created} or {refusal, stored, size, maxSeat}.
 */
const CLAIM_SCRIPT = `${LUA_HELPERS}
local created = redis.call('EXISTS', KEYS[1]) == 0
local size, max_seat, key_hash
if created then
  -- At the cap: forget the clusters that have been empty longest; refuse if none is empty.
  while redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[13]) do
    local oldest = redis.call('ZPOPMIN', KEYS[5])
    if #oldest == 0 then return cjson.encode({refusal = 'too-many-clusters', size = 0}) end
    redis.call('DEL', ARGV[8] .. 'cluster:' .. oldest[1], ARGV[8] .. 'seats:' .. oldest[1], ARGV[8] .. 'tokens:' .. oldest[1])
    redis.call('SREM', KEYS[3], oldest[1])
  end
  size = tonumber(ARGV[2]) or tonumber(ARGV[3])
  max_seat = size + tonumber(ARGV[4])
  key_hash = ARGV[5]
else
  size = tonumber(redis.call('HGET', KEYS[1], 'size'))
  max_seat = tonumber(redis.call('HGET', KEYS[1], 'maxSeat'))
  key_hash = redis.call('HGET', KEYS[1], 'keyHash')
end
local function refusal(code)
  return cjson.encode({refusal = code, stored = key_hash, size = size, maxSeat = max_seat})
end
if key_hash ~= ARGV[5] then return refusal('wrong-key') end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= size then return refusal('size-mismatch') end
local now, grace = tonumber(ARGV[11]), tonumber(ARGV[12])
local flat = redis.call('HGETALL', KEYS[2])
local taken, live = {}, {}
for i = 1, #flat, 2 do
  local s = tonumber(flat[i])
  local state = seat_state(ARGV[8], flat[i + 1], now, grace)
  if state ~= 'free' then taken[s] = {state = state, entry = flat[i + 1]} end
  if state == 'live' then live[#live + 1] = s end
end
local seat = tonumber(ARGV[6])
if seat ~= nil then
  if seat > max_seat then return refusal('seat-out-of-range') end
  local held = taken[seat]
  if held ~= nil then
    -- Only the seat's own tab (its token) may replace a holder, and never a live one of its own server.
    local token_ok = ARGV[10] == '1' and redis.call('HGET', KEYS[4], seat) == ARGV[9]
    local claimant = string.match(ARGV[7], '^(%S+) ')
    local same_server_live = held.state == 'live' and string.match(held.entry, '^(%S+) ') == claimant
    if not token_ok or same_server_live then return refusal('seat-taken') end
  end
else
  for s = 1, max_seat do
    if taken[s] == nil then seat = s break end
  end
  if seat == nil then return refusal('cluster-full') end
end
if created then
  redis.call('HSET', KEYS[1], 'size', size, 'maxSeat', max_seat, 'keyHash', key_hash)
end
local peers = {}
for _, s in ipairs(live) do
  if s ~= seat then peers[#peers + 1] = s end
end
table.sort(peers)
redis.call('PERSIST', KEYS[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[2], seat, ARGV[7])
redis.call('HSET', KEYS[4], seat, ARGV[9])
return cjson.encode({seat = seat, size = size, peers = peers, created = created})
`;

/** KEYS: cluster, seats, tokens, empty. ARGV: seat, holder, emptyTtlMs, name, nowMs. Deletes the seat only if `holder` holds it. */
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
end
return 1
`;

/** KEYS: cluster, seats. ARGV: prefix. Returns JSON {size, maxSeat, keyHash, seats} or nil. */
const VIEW_SCRIPT = `${LUA_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local meta = redis.call('HMGET', KEYS[1], 'size', 'maxSeat', 'keyHash')
return cjson.encode({size = tonumber(meta[1]), maxSeat = tonumber(meta[2]), keyHash = meta[3], seats = live_seats(ARGV[1], KEYS[2])})
`;

/**
 * KEYS: cluster, seats, clusters, tokens, empty. ARGV: name, prefix, emptyTtlMs, nowMs, graceMs.
 * Marks holders whose server is dead as orphans (reserved for their token), frees orphans
 * older than the grace and returns their seats (JSON array); forgets an expired cluster.
 */
const SWEEP_SCRIPT = `${LUA_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[5], ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[4])
  return '[]'
end
local now, grace = tonumber(ARGV[4]), tonumber(ARGV[5])
local flat = redis.call('HGETALL', KEYS[2])
local freed = {}
for i = 1, #flat, 2 do
  local since = string.match(flat[i + 1], '^~orphan (%d+)$')
  if since ~= nil then
    if now - tonumber(since) >= grace then
      redis.call('HDEL', KEYS[2], flat[i])
      redis.call('HDEL', KEYS[4], flat[i])
      freed[#freed + 1] = tonumber(flat[i])
    end
  elseif not holder_live(ARGV[2], flat[i + 1]) then
    redis.call('HSET', KEYS[2], flat[i], '~orphan ' .. ARGV[4])
  end
end
if redis.call('HLEN', KEYS[2]) == 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
end
if #freed == 0 then return '[]' end
return cjson.encode(freed)
`;

/** KEYS: clusters. ARGV: prefix. Counts clusters with a live tab, and live seats (O(clusters + seats); only /health calls it). */
const STATS_SCRIPT = `${LUA_HELPERS}
local names = redis.call('SMEMBERS', KEYS[1])
local clusters, seats = 0, 0
for _, name in ipairs(names) do
  local live = #live_seats(ARGV[1], ARGV[1] .. 'seats:' .. name)
  if live > 0 then
    clusters = clusters + 1
    seats = seats + live
  end
end
return {clusters, seats, #names}
`;

interface ClaimReply {
  readonly seat?: number;
  readonly size: number;
  readonly maxSeat?: number;
  readonly peers?: unknown;
  readonly created?: boolean;
  readonly refusal?: 'wrong-key' | 'size-mismatch' | 'seat-out-of-range' | 'seat-taken' | 'cluster-full' | 'too-many-clusters';
  readonly stored?: string | false;
}

export class RedisSeatTable implements SeatTable {
  private readonly prefix: string;
  private refreshTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisSeatTableOptions,
  ) {
    this.prefix = options.prefix ?? 'tabkeeper:';
  }

  /** Sets this server's liveness mark and keeps it fresh until `close`. */
  static async open(redis: RedisConnection, options: RedisSeatTableOptions): Promise<RedisSeatTable> {
    const table = new RedisSeatTable(redis, options);
    await redis.set(table.serverKey(), String(options.now()), { PX: options.livenessMs });
    table.refreshTimer = setInterval(() => void table.refreshLiveness(), Math.max(100, Math.floor(options.livenessMs / 3)));
    table.refreshTimer.unref();
    return table;
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const keys = [this.clusterKey(request.cluster), this.seatsKey(request.cluster), this.clustersKey(), this.tokensKey(request.cluster), this.emptyKey()];
    const reply = await this.evalJson<ClaimReply>(CLAIM_SCRIPT, keys, [
      request.cluster,
      request.size === undefined ? '' : String(request.size),
      String(this.options.defaultClusterSize),
      String(this.options.maxObservers),
      request.keyHash ?? '',
      request.seat === undefined ? '' : String(request.seat),
      holderText(request.holder),
      this.prefix,
      request.tokenHash,
      request.tokenPresented ? '1' : '0',
      String(this.options.now()),
      String(this.options.seatGraceMs),
      String(this.options.maxClusters),
    ]);
    if (reply === null) throw new Error('claim script returned nothing');
    if (reply.refusal !== undefined) return this.refusalOf(request, reply);
    if (reply.seat === undefined) throw new Error('claim script returned no seat');
    const peers = toSeats(reply.peers);
    return { ok: true, seat: reply.seat, size: reply.size, peers, created: reply.created === true };
  }

  async release(cluster: string, seat: ServerId, holder: Holder): Promise<boolean> {
    const released = await this.redis.eval(RELEASE_SCRIPT, {
      keys: [this.clusterKey(cluster), this.seatsKey(cluster), this.tokensKey(cluster), this.emptyKey()],
      arguments: [String(seat), holderText(holder), String(this.options.emptyClusterTtlMs), cluster, String(this.options.now())],
    });
    return released === 1;
  }

  async cluster(cluster: string): Promise<ClusterView | null> {
    const view = await this.evalJson<{ size: number; maxSeat: number; keyHash: string; seats: unknown }>(
      VIEW_SCRIPT,
      [this.clusterKey(cluster), this.seatsKey(cluster)],
      [this.prefix],
    );
    if (view === null) return null;
    return { size: view.size, maxSeat: view.maxSeat, keyHash: view.keyHash === '' ? null : view.keyHash, seats: toSeats(view.seats) };
  }

  async holder(cluster: string, seat: ServerId): Promise<Holder | null> {
    const text = await this.redis.hGet(this.seatsKey(cluster), String(seat));
    if (text === null || text === undefined) return null;
    const holder = parseHolder(String(text));
    if (holder === null) return null;
    const live = await this.redis.exists(this.serverKey(holder.serverId));
    return live === 1 ? holder : null;
  }

  async stats(): Promise<SeatTableStats> {
    const reply = await this.redis.eval(STATS_SCRIPT, { keys: [this.clustersKey()], arguments: [this.prefix] });
    const [clusters, seats, remembered] = Array.isArray(reply) ? reply : [];
    return { clusters: Number(clusters ?? 0), seats: Number(seats ?? 0), remembered: Number(remembered ?? 0) };
  }

  async sweep(): Promise<FreedSeat[]> {
    const names = await this.redis.sMembers(this.clustersKey());
    const freed: FreedSeat[] = [];
    for (const name of names) {
      const seats = await this.evalJson<unknown>(
        SWEEP_SCRIPT,
        [this.clusterKey(String(name)), this.seatsKey(String(name)), this.clustersKey(), this.tokensKey(String(name)), this.emptyKey()],
        [String(name), this.prefix, String(this.options.emptyClusterTtlMs), String(this.options.now()), String(this.options.seatGraceMs)],
      );
      for (const seat of toSeats(seats)) freed.push({ cluster: String(name), seat });
    }
    return freed;
  }

  /** Stops refreshing and removes this server's mark, so its (already released) seats can never look live. */
  async close(): Promise<void> {
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    await this.redis.del(this.serverKey());
  }

  private async refreshLiveness(): Promise<void> {
    try {
      // XX: only if the mark still exists. If it expired, this server's seats may already be
      // someone else's, so fence first and only then mark itself live again.
      const refreshed = await this.redis.set(this.serverKey(), String(this.options.now()), { PX: this.options.livenessMs, XX: true });
      if (refreshed !== null) return;
      this.options.onLivenessLost();
      await this.redis.set(this.serverKey(), String(this.options.now()), { PX: this.options.livenessMs });
    } catch (error) {
      this.options.onError(error as Error);
    }
  }

  private refusalOf(request: ClaimRequest, reply: ClaimReply): ClaimResult {
    const stored = typeof reply.stored === 'string' && reply.stored !== '' ? reply.stored : null;
    const maxSeat = reply.maxSeat ?? reply.size;
    switch (reply.refusal) {
      case 'too-many-clusters':
        return refusals.tooManyClusters(this.options.maxClusters);
      case 'wrong-key':
        return keyRefusal(request.cluster, stored, request.keyHash) ?? refuse('wrong-key', `wrong join key for cluster ${request.cluster}`);
      case 'size-mismatch':
        return refusals.sizeMismatch(request.cluster, reply.size, request.size ?? reply.size);
      case 'seat-out-of-range':
        return refusals.seatOutOfRange(request.cluster, request.seat ?? 0, reply.size, maxSeat);
      case 'seat-taken':
        return refusals.seatTaken(request.cluster, request.seat ?? 0);
      default:
        return refusals.clusterFull(request.cluster, maxSeat);
    }
  }

  private async evalJson<T>(script: string, keys: string[], args: string[]): Promise<T | null> {
    const reply = await this.redis.eval(script, { keys, arguments: args });
    if (reply === null || reply === undefined) return null;
    return JSON.parse(String(reply)) as T;
  }

  private clusterKey(cluster: string): string {
    return `${this.prefix}cluster:${cluster}`;
  }
  private seatsKey(cluster: string): string {
    return `${this.prefix}seats:${cluster}`;
  }
  private tokensKey(cluster: string): string {
    return `${this.prefix}tokens:${cluster}`;
  }
  private clustersKey(): string {
    return `${this.prefix}clusters`;
  }
  private emptyKey(): string {
    return `${this.prefix}empty`;
  }
  private serverKey(serverId = this.options.serverId): string {
    return `${this.prefix}server:${serverId}`;
  }
}

function holderText(holder: Holder): string {
  return `${holder.serverId} ${holder.socketId}`;
}

function parseHolder(text: string): Holder | null {
  const space = text.indexOf(' ');
  if (space <= 0) return null;
  return { serverId: text.slice(0, space), socketId: text.slice(space + 1) };
}

/** cjson encodes an empty Lua table as `{}`: read anything that is not an array of numbers as no seats. */
function toSeats(value: unknown): ServerId[] {
  if (!Array.isArray(value)) return [];
  return value.filter((seat): seat is number => typeof seat === 'number').sort((a, b) => a - b);
}
