import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';

// What the in-process server logged as an error during a fuzz run: a handler that crashed
// and was caught (answered INTERNAL), or background work that failed.
//
// Uncaught exceptions and unhandled rejections need no hook of their own: jest (circus)
// replaces the process's handlers while a test runs and fails that test on either, and the
// server under test runs in the test's process. (Listeners added to `process` inside a test
// file do not work: jest hands each file a copy of the process object.)
export interface ServerWatch {
  errors: string[];
  stop(): void;
}

export function watchServer(): ServerWatch {
  const errors: string[] = [];
  const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(inspect(args, { depth: 4, breakLength: Infinity }).slice(0, 1500));
  });
  return { errors, stop: () => spy.mockRestore() };
}
