// Keeps alarms in the backend's `alarm` bucket as etcd does: the key is the
// encoded AlarmMember, the value is empty.
import type { Backend } from '../backend/backend.js';
import { AlarmMember } from '../generated/etcdserverpb/rpc.js';
import type { AlarmPersistence } from './alarm-store.js';

/** Alarms are one per member and type; this bounds the scan at start-up. */
const MAX_STORED_ALARMS = 10_000;

export function backendAlarmPersistence(backend: Backend): AlarmPersistence {
  const keyOf = (alarm: AlarmMember): Buffer => Buffer.from(AlarmMember.encode(alarm).finish());
  return {
    load: () =>
      backend.range('alarm', Buffer.alloc(0), undefined, MAX_STORED_ALARMS).map((entry) => AlarmMember.decode(entry.key)),
    add: (alarm) => backend.put('alarm', keyOf(alarm), Buffer.alloc(0)),
    remove: (alarm) => backend.delete('alarm', keyOf(alarm)),
  };
}
