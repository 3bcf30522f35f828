// Who a request runs as once auth is on: a user name and the auth revision its
// token was issued at (etcd's AuthInfo). No token at all is `null`.

export interface Caller {
  readonly username: string;
  /** The auth store revision the token was issued at; 0 means "no user". */
  readonly revision: number;
}

/** What an unauthenticated request is checked as: etcd answers it "user name is empty". */
export const NO_CALLER: Caller = { username: '', revision: 0 };

/** etcd's fixed names: the root user and the implicit root role that may do everything. */
export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';
