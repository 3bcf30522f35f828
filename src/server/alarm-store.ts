// Raised alarms (NOSPACE, CORRUPT) per member. Changes arrive through the log, so
// every member holds the same set; they persist in the backend's alarm bucket.
import { AlarmMember, AlarmType } from '../generated/etcdserverpb/rpc.js';

/** Where alarms are kept across restarts (the backend's `alarm` bucket). */
export interface AlarmPersistence {
  load(): AlarmMember[];
  add(alarm: AlarmMember): void;
  remove(alarm: AlarmMember): void;
}

function keyOf(alarm: AlarmMember): string {
  return `${alarm.memberID}:${alarm.alarm}`;
}

export class AlarmStore {
  private readonly alarms = new Map<string, AlarmMember>();

  constructor(private readonly persistence: AlarmPersistence) {
    this.reload();
  }

  /** Re-reads the alarms (after a snapshot replaced the backend). */
  reload(): void {
    this.alarms.clear();
    for (const alarm of this.persistence.load()) this.alarms.set(keyOf(alarm), alarm);
  }

  list(type: AlarmType = AlarmType.NONE): AlarmMember[] {
    const all = [...this.alarms.values()];
    return type === AlarmType.NONE ? all : all.filter((alarm) => alarm.alarm === type);
  }

  /** Asked twice for every applied write, so it builds nothing. */
  has(type: AlarmType): boolean {
    if (type === AlarmType.NONE) return this.alarms.size > 0;
    for (const alarm of this.alarms.values()) if (alarm.alarm === type) return true;
    return false;
  }

  /** Returns the alarm if it was newly raised, null if it was already there. */
  activate(alarm: AlarmMember): AlarmMember | null {
    const key = keyOf(alarm);
    if (this.alarms.has(key)) return null;
    this.alarms.set(key, alarm);
    this.persistence.add(alarm);
    return alarm;
  }

  /** Returns the alarm if it was cleared, null if it was not raised. */
  deactivate(alarm: AlarmMember): AlarmMember | null {
    const key = keyOf(alarm);
    const existing = this.alarms.get(key);
    if (existing === undefined) return null;
    this.alarms.delete(key);
    this.persistence.remove(existing);
    return existing;
  }
}

/** etcd prints alarms in Status errors in protobuf text form. */
export function formatAlarm(alarm: AlarmMember): string {
  const name = AlarmType[alarm.alarm] ?? String(alarm.alarm);
  return `memberID:${alarm.memberID} alarm:${name} `;
}
