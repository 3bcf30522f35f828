// The request body of a call that takes exactly one message (unary and
// server-streaming), with grpc-js's statuses for a body of none or of two.
import { status } from '@grpc/grpc-js';
import { MessageReader } from './grpc-message-reader.js';
import type { CallStatus } from './grpc-wire.js';

export class SingleRequestReader {
  private readonly reader: MessageReader;
  private message: Buffer | null = null;

  constructor(
    receiveLimitBytes: number,
    private readonly path: string,
  ) {
    this.reader = new MessageReader(receiveLimitBytes);
  }

  /** Takes body bytes: the message once the body has ended, a status that ends the call, or null for more. */
  push(payload: Buffer, end: boolean): Buffer | CallStatus | null {
    const messages = this.reader.push(payload);
    if (!Array.isArray(messages)) return messages;
    for (const message of messages) {
      if (this.message !== null) {
        return { code: status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.path}`, metadata: null };
      }
      this.message = message;
    }
    if (!end) return null;
    if (this.message === null) {
      return { code: status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.path}`, metadata: null };
    }
    const message = this.message;
    this.message = null;
    return message;
  }
}
