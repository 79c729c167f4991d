/**
 * SIGINT, SIGTERM and SIGHUP during a `--write`. Node runs a signal's handler only between turns of the event
 * loop, never in the middle of synchronous code, so the handler here only records the signal; the writer looks
 * at it at its checkpoints (it yields to the event loop between files) and rolls back, and the command exits
 * with the signal's status, 128 + its number (130, 143, 129).
 *
 * Before the handlers are installed (while planning, when nothing has been touched yet) a signal ends the
 * process the default way; after they are removed, likewise.
 */
import * as os from 'node:os';

export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type HandledSignal = (typeof HANDLED_SIGNALS)[number];

export interface SignalWatch {
  /** The first signal received, if any. */
  readonly received: () => HandledSignal | undefined;
  readonly dispose: () => void;
}

export function watchSignals(): SignalWatch {
  let first: HandledSignal | undefined;
  const handlers = HANDLED_SIGNALS.map((s) => {
    const h = (): void => {
      first ??= s;
    };
    process.on(s, h);
    return [s, h] as const;
  });
  return {
    received: () => first,
    dispose: () => {
      for (const [s, h] of handlers) process.off(s, h);
    },
  };
}

/** The shell's exit status for a process ended by the signal: 128 + its number. */
export function signalStatus(s: HandledSignal): number {
  return 128 + os.constants.signals[s];
}

/** Thrown inside the writer at a checkpoint after a signal; everything already done has been undone. */
export class Interrupted extends Error {
  constructor(readonly signal: HandledSignal) {
    super(`interrupted by ${signal}`);
  }
}
