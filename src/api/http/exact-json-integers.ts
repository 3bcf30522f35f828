// Go's JSON decoder reads an int64 exactly; JSON.parse rounds integers beyond 2^53
// (lease IDs often are). Integer literals that large are turned into strings before
// parsing, which the proto3 JSON mapping accepts for every 64-bit field.

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}

/** The text with every integer literal outside strings whose magnitude exceeds 2^53 - 1 quoted. */
export function quoteLargeIntegers(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (inString) {
      out += char;
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    if (!(isDigit(char) || (char === '-' && isDigit(text.charAt(i + 1))))) {
      out += char;
      continue;
    }
    let end = i + 1;
    while (end < text.length && /[0-9.eE+-]/.test(text.charAt(end))) end++;
    const literal = text.slice(i, end);
    const large = /^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal));
    out += large ? `"${literal}"` : literal;
    i = end - 1;
  }
  return out;
}
