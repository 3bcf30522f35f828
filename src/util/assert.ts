// Assertions guard against programmer errors only: a failure is a bug and
// crashes the process. Bad client input is an EtcdError, never an assertion.

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
