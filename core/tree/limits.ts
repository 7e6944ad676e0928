/**
 * Bounds on requests. ZooKeeper bounds a whole request by jute.maxbuffer (1 MiB by default); the
 * data limit below is that bound, applied to the data of one op and to the sum over a multi (the
 * ZooKeeper javadoc of multi: "the maximum allowable size of all of the data arrays in all of the
 * setData operations in this single request is typically 1 MB"). The other bounds are
 * TabKeeper's own, so that no request is unbounded.
 */
export const MAX_DATA_BYTES = 1024 * 1024;
export const MAX_MULTI_OPS = 1000;
/** In UTF-16 code units. ZooKeeper bounds a path only by the request size; we keep paths small. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_SESSION_ID_LENGTH = 256;
/** ZooKeeper's versions and timeouts are Java ints. */
export const MAX_INT32 = 0x7fff_ffff;

/**
 * How many bytes `text` takes in UTF-8: what ZooKeeper's dataLength counts for data sent as a
 * UTF-8 string. A lone surrogate counts 3 bytes, as TextEncoder replaces it with U+FFFD.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
