/**
 * When a transport's held writes leave before the end of the tick. Both
 * socket transports hold a tick's frames until its end (TCP in a batch of its
 * own, corking the socket only around a large frame; the WebSocket server by
 * corking its socket), so that the frames one tick sends go out in few system
 * calls; these bounds keep a burst from being held whole, so that the peer
 * works on its first part while this side makes the rest.
 */

/** A frame at least this long is written at once (bulk: the peer opens one while this side seals the next). */
export const UNCORK_FRAME_BYTES = 32 * 1024;

/**
 * Frames leave once this many bytes of them wait, without waiting for the tick's end: a peer that sends a
 * burst (256 rpcs in flight, 1,000 casts) then works on its first part while this side encodes the rest,
 * where both sides took turns before. Measured on TCP (npm run bench -- --match 'pipelined|casts', 3
 * rounds): 2, 4, 8 and 16 KiB and never; 4 KiB was best, 16 KiB and never the worst.
 */
export const EARLY_BATCH_BYTES = 4 * 1024;
