// A plain Uint8Array over another array's memory, made again only when the source
// changes: lmdb-js hands over the same Buffer for every read, a plain array's views
// are cheaper to make than a Buffer's (no subclass constructor runs), and lmdb-js's
// Buffer overrides `length`, which a plain view does not inherit.

export class PlainView {
  private view: Uint8Array | null = null;

  /** A plain view of exactly `value`'s bytes (the same object while `value` covers the same memory). */
  of(value: Uint8Array): Uint8Array {
    const view = this.view;
    if (view !== null && view.buffer === value.buffer && view.byteOffset === value.byteOffset && view.byteLength === value.byteLength) return view;
    this.view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return this.view;
  }
}
