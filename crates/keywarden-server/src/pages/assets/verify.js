// The "finish signing in" page of the admin console, for an administrator whose session has no strong method yet: the in-place verification, then the page they asked for.
// @ts-check

import { $, me, reverify } from './kw.js';

const user = await me();
const error = {
  code: 'strong_authentication_required',
  message: 'Administration needs a strong method.',
  details: { verification: { usableMethods: user.usableStrongMethods || [] } },
};
await reverify($('#verify'), error, user);
location.reload();
