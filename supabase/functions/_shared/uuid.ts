// Entry ids as UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits.
// Ids of entries appended together sort together, so the index on audit_events.id grows at its
// right edge like the primary key does, instead of touching a random leaf page per row (the id
// index is one of three every appended row updates). The id reveals nothing the entry's own
// created_at does not already say.

const pool = new Uint8Array(16 * 256);
let offset = pool.length;
const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** A new UUIDv7, lowercase, hyphenated. `now` is for tests. */
export function uuidV7(now: number = Date.now()): string {
  if (offset === pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  // 48-bit big-endian milliseconds; Number keeps them exact far beyond the year 10000.
  const high = Math.floor(now / 0x1_0000_0000);
  const low = now >>> 0;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = low >>> 24;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  let text = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += "-";
    text += hex[bytes[i]];
  }
  return text;
}
