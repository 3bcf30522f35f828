// The health checks' view of a running member: its alarms, its leader, a read.
import { AlarmRequest_AlarmAction, AlarmType, alarmTypeToJSON, RangeRequest } from '../../generated/etcdserverpb/rpc.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import type { HealthSource } from './health-endpoints.js';

const HEALTH_KEY = Buffer.from('health');

export function serverHealthSource(server: EtcdServer): HealthSource {
  return {
    activeAlarms: async () => {
      const response = await server.alarm({ action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE });
      return response.alarms.map((member) => alarmTypeToJSON(member.alarm));
    },
    hasLeader: async () => server.metricsSnapshot().hasLeader,
    read: async (serializable) => {
      await server.range(RangeRequest.fromPartial({ key: HEALTH_KEY, keysOnly: true, limit: 1, serializable }));
    },
  };
}
