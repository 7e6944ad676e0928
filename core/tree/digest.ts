/**
 * A 64-bit fingerprint of a text, as 16 hex digits: two 32-bit FNV-1a lanes with different
 * offset bases and multipliers (the second a MurmurHash constant), so a collision needs both to
 * collide. Not cryptographic: it tells servers whose states differ apart, with high probability.
 */
export function digest64(text: string): string {
  let laneA = 0x811c9dc5;
  let laneB = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    laneA = Math.imul(laneA ^ unit, 0x01000193);
    laneB = Math.imul(laneB ^ unit, 0x5bd1e995);
    laneB ^= laneB >>> 15;
  }
  return hex32(laneA) + hex32(laneB);
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
