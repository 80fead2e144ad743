import type { QuickReply, QuickReplyRole } from '../../../common/contract/quick-replies.js';
import type { QuickReplyRow } from './quick-reply.repository.js';

/** A quick reply as admins see it, its roles named (in the order they were chosen). */
export function presentQuickReply(row: QuickReplyRow, roleNames: QuickReplyRole[]): QuickReply {
  const named = new Map(roleNames.map((r) => [r.id, r]));
  return {
    id: row.id,
    name: row.name,
    text: row.text,
    roles: row.roleIds.flatMap((id) => {
      const role = named.get(id);
      return role ? [role] : [];
    }),
  };
}
