export function isLoopbackAddress(addr) {
    return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.') || addr === 'localhost';
}
/**
 * The events side every transport shares: frames that arrive before start()
 * wait, in order, and are delivered by it; the close is reported exactly
 * once, when it happens or at start() if it happened before, however many
 * paths lead to it (a frame handler that destroys the transport, then the
 * socket's own close event).
 */
export class EventGate {
    events;
    /** Allocated only when a frame comes before start(). */
    early;
    ended = false;
    reported = false;
    endError;
    /** Begin delivering: the early frames in order, stopping once `failed()` (a handler may destroy the transport), then a close that came first. */
    startEvents(events, failed) {
        this.events = events;
        const early = this.early;
        this.early = undefined;
        if (early) {
            for (const f of early) {
                if (failed())
                    break;
                events.frame(f);
            }
        }
        this.reportClose();
    }
    deliverFrame(frame) {
        if (this.events)
            this.events.frame(frame);
        else
            (this.early ??= []).push(frame);
    }
    /** The connection is gone; `error` says why when it was not orderly. Later calls are ignored. */
    deliverClose(error) {
        if (this.ended)
            return;
        this.ended = true;
        this.endError = error;
        this.reportClose();
    }
    reportClose() {
        if (!this.ended || this.reported || !this.events)
            return;
        this.reported = true;
        this.events.close(this.endError);
    }
}
//# sourceMappingURL=transport.js.map