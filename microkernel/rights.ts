// Capability rights: the bit set every capability carries (seL4 seL4_CapRights_t).
//
//   Read        receive on an endpoint, wait on / poll a notification
//   Write       send or call on an endpoint, signal a notification
//   Grant       capabilities may travel in a message sent through this cap
//   GrantReply  a Call through this cap may receive a reply capability
//
// Rights only ever shrink: a derived capability gets the source's rights
// masked by the rights asked for (maskRights).

export const Rights = { Read: 1, Write: 2, Grant: 4, GrantReply: 8 } as const;

/** A bit set of Rights values. */
export type RightsMask = number;

export const NoRights: RightsMask = 0;
export const AllRights: RightsMask = Rights.Read | Rights.Write | Rights.Grant | Rights.GrantReply;

/** True when every bit of `required` is present in `rights`. */
export function hasRights(rights: RightsMask, required: RightsMask): boolean {
  return (rights & required) === required;
}

/** The rights a derived capability gets: never more than the source's. */
export function maskRights(rights: RightsMask, mask: RightsMask): RightsMask {
  return rights & mask & AllRights;
}
