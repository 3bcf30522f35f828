// Types for the parts of npm `bcrypt` (a native addon without bundled types) this project uses.
declare module 'bcrypt' {
  function hash(data: string, saltRounds: number): Promise<string>;
  function compare(data: string, encrypted: string): Promise<boolean>;
  const bcrypt: { hash: typeof hash; compare: typeof compare };
  export default bcrypt;
}
